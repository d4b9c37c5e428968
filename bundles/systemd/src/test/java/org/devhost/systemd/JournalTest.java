package org.devhost.systemd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.service.log.LogLevel;

/** The journal's native protocol, byte for byte (systemd's "Native Journal Protocol"). */
class JournalTest {
    @Test
    void plainFieldsAreNameEqualsValueLinesAndAValueWithANewlineIsLengthPrefixed() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("MESSAGE", "faulty: write threw\njava.lang.NullPointerException");
        fields.put("PRIORITY", "3");
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        byte[] message = "faulty: write threw\njava.lang.NullPointerException".getBytes(StandardCharsets.UTF_8);
        want.writeBytes("MESSAGE\n".getBytes(StandardCharsets.US_ASCII));
        want.writeBytes(new byte[] {(byte) message.length, 0, 0, 0, 0, 0, 0, 0});
        want.writeBytes(message);
        want.writeBytes("\nPRIORITY=3\nSYSLOG_IDENTIFIER=devhost\n".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(want.toByteArray(), Journal.encode(fields));
    }

    @Test
    void logLevelsAreSyslogPriorities() {
        assertEquals(3, Journal.priority(LogLevel.ERROR));
        assertEquals(4, Journal.priority(LogLevel.WARN));
        assertEquals(5, Journal.priority(LogLevel.AUDIT));
        assertEquals(6, Journal.priority(LogLevel.INFO));
        assertEquals(7, Journal.priority(LogLevel.DEBUG));
        assertEquals(7, Journal.priority(LogLevel.TRACE));
    }
}
