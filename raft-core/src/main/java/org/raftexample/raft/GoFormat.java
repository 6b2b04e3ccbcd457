package org.raftexample.raft;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.StringJoiner;

/**
 * Renders values the way Go's fmt verbs do, so that descriptions and log lines match etcd's text
 * byte for byte (the data-driven tests compare them).
 */
public final class GoFormat {
    private GoFormat() {}

    /**
     * Go's {@code %q} of a byte slice: a double-quoted, Go-escaped string.
     *
     * @param data the bytes
     * @return the quoted text
     */
    public static String quote(byte[] data) {
        StringBuilder sb = new StringBuilder(data.length + 2).append('"');
        int i = 0;
        while (i < data.length) {
            int b = data[i] & 0xff;
            int cp;
            int width;
            if (b < 0x80) {
                cp = b;
                width = 1;
            } else {
                long decoded = decodeUtf8(data, i);
                if (decoded < 0) {
                    sb.append(String.format("\\x%02x", b));
                    i++;
                    continue;
                }
                cp = (int) (decoded & 0xffffffffL);
                width = (int) (decoded >>> 32);
            }
            appendRune(sb, cp);
            i += width;
        }
        return sb.append('"').toString();
    }

    /**
     * Go's {@code %q} of a ByteString; null prints as the empty string, as a nil slice does.
     *
     * @param data the bytes, or null
     * @return the quoted text
     */
    public static String quote(ByteString data) {
        return quote(data == null ? new byte[0] : data.toByteArray());
    }

    /**
     * Go's {@code %q} of a string.
     *
     * @param s the string
     * @return the quoted text
     */
    public static String quote(String s) {
        return quote(s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Go's {@code %v} of a byte slice: decimal bytes in brackets, e.g. {@code [97 98]}.
     *
     * @param data the bytes
     * @return the bracketed list
     */
    public static String bytesList(ByteString data) {
        StringJoiner j = new StringJoiner(" ", "[", "]");
        if (data != null) {
            for (int i = 0; i < data.size(); i++) {
                j.add(Integer.toString(data.byteAt(i) & 0xff));
            }
        }
        return j.toString();
    }

    /**
     * Go's {@code %v} of a {@code []uint64}: unsigned decimals in brackets, e.g. {@code [1 2 3]}.
     *
     * @param values the values, read as unsigned
     * @return the bracketed list
     */
    public static String uintList(Collection<Long> values) {
        StringJoiner j = new StringJoiner(" ", "[", "]");
        if (values != null) {
            for (long v : values) {
                j.add(Long.toUnsignedString(v));
            }
        }
        return j.toString();
    }

    /**
     * Decodes one multi-byte UTF-8 sequence at {@code i}; returns {@code width << 32 | codePoint},
     * or -1 where Go would see an invalid byte (bad prefix, truncated, overlong, surrogate, too big).
     */
    private static long decodeUtf8(byte[] d, int i) {
        int b0 = d[i] & 0xff;
        int need;
        int cp;
        int min;
        if (b0 >= 0xc2 && b0 <= 0xdf) {
            need = 1;
            cp = b0 & 0x1f;
            min = 0x80;
        } else if (b0 >= 0xe0 && b0 <= 0xef) {
            need = 2;
            cp = b0 & 0x0f;
            min = 0x800;
        } else if (b0 >= 0xf0 && b0 <= 0xf4) {
            need = 3;
            cp = b0 & 0x07;
            min = 0x10000;
        } else {
            return -1;
        }
        if (i + need >= d.length) {
            return -1;
        }
        for (int k = 1; k <= need; k++) {
            int b = d[i + k] & 0xff;
            if ((b & 0xc0) != 0x80) {
                return -1;
            }
            cp = (cp << 6) | (b & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return -1;
        }
        return ((long) (need + 1) << 32) | cp;
    }

    private static void appendRune(StringBuilder sb, int cp) {
        if (cp == '"' || cp == '\\') {
            sb.append('\\').append((char) cp);
            return;
        }
        if (isPrint(cp)) {
            sb.appendCodePoint(cp);
            return;
        }
        switch (cp) {
            case 0x07 -> sb.append("\\a");
            case '\b' -> sb.append("\\b");
            case '\f' -> sb.append("\\f");
            case '\n' -> sb.append("\\n");
            case '\r' -> sb.append("\\r");
            case '\t' -> sb.append("\\t");
            case 0x0b -> sb.append("\\v");
            default -> {
                if (cp < ' ' || cp == 0x7f) {
                    sb.append(String.format("\\x%02x", cp));
                } else if (cp < 0x10000) {
                    sb.append(String.format("\\u%04x", cp));
                } else {
                    sb.append(String.format("\\U%08x", cp));
                }
            }
        }
    }

    /** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
    private static boolean isPrint(int cp) {
        if (cp < 0x80) {
            return cp >= 0x20 && cp < 0x7f;
        }
        return switch (Character.getType(cp)) {
            case Character.CONTROL,
                    Character.FORMAT,
                    Character.SURROGATE,
                    Character.PRIVATE_USE,
                    Character.UNASSIGNED,
                    Character.SPACE_SEPARATOR,
                    Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR -> false;
            default -> true;
        };
    }
}
