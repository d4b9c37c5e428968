package org.devhost.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The Sparkplug topic namespace, and device names as device ids (Sparkplug 3.0 chapter 4). */
class TopicsTest {
    @Test
    void topicsFollowTheNamespace() {
        Topics t = new Topics("plant", "gw1");
        assertEquals("spBv1.0/plant/NBIRTH/gw1", t.node("NBIRTH"));
        assertEquals("spBv1.0/plant/DBIRTH/gw1/scull0", t.device("DBIRTH", "scull0"));
        assertEquals("spBv1.0/STATE/scada", Topics.state("scada"));
    }

    @Test
    void reservedCharactersOfADeviceNameAreEscapedOneToOne() {
        assertEquals("scull0", Topics.deviceId("scull0"));
        assertEquals("a%2Bb%23c%25d", Topics.deviceId("a+b#c%d"), "+ # and the escape itself");
        assertEquals("x%2Fy", Topics.deviceId("x/y"));
        assertEquals("%2B", Topics.deviceId("+"));
        assertEquals("tty%01", Topics.deviceId("tty\u0001"));
    }

    @Test
    void idsWithTopicCharactersAreRefused() {
        assertNull(Topics.invalidId("gw-1.plant"));
        assertNotNull(Topics.invalidId(""));
        assertNotNull(Topics.invalidId("a/b"));
        assertNotNull(Topics.invalidId("a+b"));
        assertNotNull(Topics.invalidId("#"));
    }
}
