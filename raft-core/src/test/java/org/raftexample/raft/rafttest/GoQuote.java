package org.raftexample.raft.rafttest;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Quotes bytes the way Go's {@code fmt.Sprintf("%q", b)} does, which is how the scripts print
 * entry payloads: a double-quoted string, UTF-8 runs kept when printable, everything else escaped.
 */
final class GoQuote {
    private GoQuote() {
    }

    static String quote(byte[] data) {
        StringBuilder out = new StringBuilder(data.length + 2).append('"');
        int i = 0;
        while (i < data.length) {
            int width = utf8Width(data, i);
            if (width == 0) {
                // Not valid UTF-8 at this position: Go escapes the single byte.
                out.append(String.format("\\x%02x", data[i] & 0xff));
                i++;
                continue;
            }
            int cp = new String(data, i, width, StandardCharsets.UTF_8).codePointAt(0);
            appendRune(out, cp);
            i += width;
        }
        return out.append('"').toString();
    }

    /** The length of the valid UTF-8 sequence starting at {@code i}, or 0 when there is none. */
    private static int utf8Width(byte[] data, int i) {
        int b = data[i] & 0xff;
        int width;
        if (b < 0x80) {
            return 1;
        } else if (b >= 0xc2 && b <= 0xdf) {
            width = 2;
        } else if (b >= 0xe0 && b <= 0xef) {
            width = 3;
        } else if (b >= 0xf0 && b <= 0xf4) {
            width = 4;
        } else {
            return 0;
        }
        if (i + width > data.length) {
            return 0;
        }
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data, i, width));
            return width;
        } catch (CharacterCodingException e) {
            return 0;
        }
    }

    private static void appendRune(StringBuilder out, int cp) {
        switch (cp) {
            case '"' -> out.append("\\\"");
            case '\\' -> out.append("\\\\");
            case 0x07 -> out.append("\\a");
            case '\b' -> out.append("\\b");
            case '\f' -> out.append("\\f");
            case '\n' -> out.append("\\n");
            case '\r' -> out.append("\\r");
            case '\t' -> out.append("\\t");
            case 0x0b -> out.append("\\v");
            default -> {
                if (isPrint(cp)) {
                    out.appendCodePoint(cp);
                } else if (cp < 0x80) {
                    out.append(String.format("\\x%02x", cp));
                } else if (cp < 0x10000) {
                    out.append(String.format("\\u%04x", cp));
                } else {
                    out.append(String.format("\\U%08x", cp));
                }
            }
        }
    }

    /** An approximation of Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols, ASCII space. */
    private static boolean isPrint(int cp) {
        if (cp == ' ') {
            return true;
        }
        return switch (Character.getType(cp)) {
            case Character.UNASSIGNED, Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE,
                    Character.SURROGATE, Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR -> false;
            default -> true;
        };
    }
}
