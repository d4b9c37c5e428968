package org.devhost.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@link Device#modeString}: the mode column of dev:ls and of the web console's Devices page. */
class DeviceModeStringTest {
    @Test
    void modesReadAsLsShowsThem() {
        assertEquals("crw-rw-rw-", Device.modeString(0666));
        assertEquals("crw-------", Device.modeString(0600));
        assertEquals("crw-rw-r--", Device.modeString(0664));
        assertEquals("crwxr-x--x", Device.modeString(0751));
        assertEquals("c---------", Device.modeString(0));
    }
}
