package org.devhost.shell;

/** The {@code hexdump -C} layout: offset, 16 bytes in two groups of 8, the printable characters; repeats shown as '*'. */
final class Hexdump {
    private Hexdump() {}

    static String canonical(byte[] data, long start) {
        StringBuilder sb = new StringBuilder();
        byte[] previous = null;
        boolean starred = false;
        for (int i = 0; i < data.length; i += 16) {
            int n = Math.min(16, data.length - i);
            byte[] line = java.util.Arrays.copyOfRange(data, i, i + n);
            if (n == 16 && previous != null && java.util.Arrays.equals(line, previous)) {
                if (!starred) {
                    sb.append("*\n");
                    starred = true;
                }
                continue;
            }
            starred = false;
            previous = n == 16 ? line : null;
            sb.append(String.format("%08x ", start + i));
            for (int j = 0; j < 16; j++) {
                sb.append(j == 8 ? "  " : " ");
                sb.append(j < n ? String.format("%02x", line[j] & 0xff) : "  ");
            }
            sb.append("  |");
            for (int j = 0; j < n; j++) {
                int c = line[j] & 0xff;
                sb.append(c >= 0x20 && c < 0x7f ? (char) c : '.');
            }
            sb.append("|\n");
        }
        sb.append(String.format("%08x", start + data.length));
        return sb.toString();
    }

    /** Bytes as {@code 01 02 ff}. */
    static String bytes(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < b.length; i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%02x", b[i] & 0xff));
        }
        return sb.toString();
    }
}
