package org.devhost.hal.common;

import java.util.regex.Pattern;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * One entry of an allow or deny list: a folder ({@code /dev/pts/}: everything under it), a pattern
 * with {@code *} standing for any characters but {@code /} ({@code /dev/i2c-*},
 * {@code /dev/cpu/*}{@code /msr}), or an exact path ({@code /dev/null}). Immutable; thread-safe.
 */
record PathPattern(String text, Pattern regex) {

    /** @throws KernelException EINVAL for an entry that is not absolute or contains {@code ..} */
    static PathPattern of(String text) {
        String t = text.trim();
        if (!t.startsWith("/") || t.contains("/../") || t.endsWith("/..")) {
            throw new KernelException(Errno.EINVAL, "HAL path '" + text + "': must be absolute, without '..'"
                    + " (a folder ending in '/', a pattern with '*', or an exact node)");
        }
        StringBuilder re = new StringBuilder();
        for (String part : t.split("\\*", -1)) {
            if (re.length() > 0) {
                re.append("[^/]*");
            }
            re.append(Pattern.quote(part));
        }
        if (t.endsWith("/")) {
            re.append(".*");
        }
        return new PathPattern(t, Pattern.compile(re.toString()));
    }

    boolean matches(String path) {
        return regex.matcher(path).matches();
    }

    @Override
    public String toString() {
        return text;
    }
}
