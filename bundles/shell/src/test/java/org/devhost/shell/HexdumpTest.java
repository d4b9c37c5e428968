package org.devhost.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code dev:hexdump}'s layout: {@code hexdump -C}'s, to the newline after the final offset. */
class HexdumpTest {

    @Test
    void aShortDumpEndsWithTheFinalOffsetOnALineOfItsOwn() {
        // the README's tour shows exactly this; without the last newline a piped shell's next
        // prompt followed on the same line ("0000000dg! ")
        assertEquals("00000000  68 65 6c 6c 6f 20 64 65  76 68 6f 73 74           |hello devhost|\n"
                + "0000000d\n", Hexdump.canonical("hello devhost".getBytes(StandardCharsets.US_ASCII), 0));
    }

    @Test
    void nothingToShowIsTheStartOffsetAndANewline() {
        assertEquals("00000000\n", Hexdump.canonical(new byte[0], 0));
        assertEquals("00000006\n", Hexdump.canonical(new byte[0], 6));
    }

    @Test
    void equalLinesAreOneStarAndTheOffsetAfterThemEndsTheDump() {
        assertEquals("00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
                + "*\n"
                + "00000030\n", Hexdump.canonical(new byte[48], 0));
    }

    @Test
    void bytesFedInPiecesPrintWhatTheWholeWouldPrint() {
        byte[] data = new byte[40];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) ('a' + i % 26);
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Hexdump h = new Hexdump(new PrintStream(b, true, StandardCharsets.US_ASCII), 0);
        for (int at = 0; at < data.length; at += 7) {
            byte[] piece = java.util.Arrays.copyOfRange(data, at, Math.min(data.length, at + 7));
            h.feed(piece, piece.length);
        }
        h.finish();
        String whole = Hexdump.canonical(data, 0);
        assertEquals(whole, b.toString(StandardCharsets.US_ASCII));
        assertTrue(whole.endsWith("|ghijklmn|\n00000028\n"), whole);
    }
}
