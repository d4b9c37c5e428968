package org.devhost.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
    @Test
    void theFirstFailuresAreFreeThenEachFurtherOneWaitsTwiceAsLongUpToAMinute() {
        LoginThrottle t = new LoginThrottle();
        long now = 1_000_000;
        for (int i = 1; i < LoginThrottle.FREE; i++) {
            assertEquals(0, t.failed("10.0.0.1", now), "failure " + i);
            assertEquals(0, t.waitMs("10.0.0.1", now));
        }
        assertEquals(1_000, t.failed("10.0.0.1", now));
        assertEquals(1_000, t.waitMs("10.0.0.1", now));
        assertEquals(400, t.waitMs("10.0.0.1", now + 600));
        assertEquals(0, t.waitMs("10.0.0.1", now + 1_000));
        long[] expected = {2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000};
        for (long e : expected) {
            now += 100_000;
            assertEquals(e, t.failed("10.0.0.1", now));
        }
        // other addresses are not concerned
        assertEquals(0, t.waitMs("10.0.0.2", now));
    }

    @Test
    void aLoginThatPassesOrAQuarterOfAnHourWithoutFailureStartsTheCountAgain() {
        LoginThrottle t = new LoginThrottle();
        for (int i = 0; i < LoginThrottle.FREE; i++) {
            t.failed("a", 0);
        }
        assertEquals(1_000, t.waitMs("a", 0));
        t.passed("a");
        assertEquals(0, t.waitMs("a", 0));
        assertEquals(0, t.failed("a", 0));

        for (int i = 0; i < 20; i++) {
            t.failed("b", 0);
        }
        assertEquals(60_000, t.waitMs("b", 0));
        assertEquals(0, t.waitMs("b", LoginThrottle.FORGET_MS));
        assertEquals(0, t.failed("b", LoginThrottle.FORGET_MS), "counted from one again");
    }

    @Test
    void itRemembersABoundedNumberOfAddresses() {
        LoginThrottle t = new LoginThrottle();
        for (int i = 0; i < LoginThrottle.FREE; i++) {
            t.failed("first", 0);
        }
        for (int i = 0; i < LoginThrottle.ADDRESSES; i++) {
            t.failed("other-" + i, 0);
        }
        assertEquals(0, t.waitMs("first", 0), "the least recently seen address was forgotten");
    }

    @Test
    void aBasicHeaderIsReadAndAnythingElseIsNone() {
        String h = "Basic " + Base64.getEncoder().encodeToString("devhost:pa:ss wörd".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals(new String[] {"devhost", "pa:ss wörd"}, ConsoleLogin.basic(h));
        assertArrayEquals(new String[] {"u", ""}, ConsoleLogin.basic("basic  " + Base64.getEncoder().encodeToString("u:".getBytes())));
        assertNull(ConsoleLogin.basic("Bearer abc"));
        assertNull(ConsoleLogin.basic("Basic !!!"));
        assertNull(ConsoleLogin.basic("Basic " + Base64.getEncoder().encodeToString("nocolon".getBytes())));
        assertNull(ConsoleLogin.basic("Basic"));
    }
}
