package org.raftexample.raft.datadriven;

import java.util.List;

/**
 * One argument of a datadriven command line: {@code key}, {@code key=v} or {@code key=(a, b, ...)}.
 *
 * <p>A bare key has no values, {@code key=v} has one and the parenthesised form has one per
 * top-level comma-separated item. {@link #toString()} prints the argument back the way
 * cockroachdb's datadriven does.
 */
public record CmdArg(String key, List<String> vals) {

    public CmdArg {
        vals = List.copyOf(vals);
    }

    /** The i-th value, or an IllegalArgumentException naming the key when there is none. */
    public String val(int i) {
        if (i < 0 || i >= vals.size()) {
            throw new IllegalArgumentException("cannot scan index " + i + " of key " + key);
        }
        return vals.get(i);
    }

    /** The i-th value as a 64-bit integer; values above Long.MAX_VALUE are read as unsigned (Go's uint64). */
    public long scanLong(int i) {
        return parseLong(key, val(i));
    }

    public int scanInt(int i) {
        String v = val(i);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": invalid int " + quote(v), e);
        }
    }

    /** The i-th value as a boolean, accepting the spellings Go's strconv.ParseBool accepts. */
    public boolean scanBool(int i) {
        String v = val(i);
        return switch (v) {
            case "1", "t", "T", "true", "TRUE", "True" -> true;
            case "0", "f", "F", "false", "FALSE", "False" -> false;
            default -> throw new IllegalArgumentException(key + ": invalid bool " + quote(v));
        };
    }

    static long parseLong(String key, String v) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException signed) {
            try {
                // uint64 values that do not fit a signed long keep their bit pattern, as elsewhere in the port.
                return Long.parseUnsignedLong(v);
            } catch (NumberFormatException unsigned) {
                throw new IllegalArgumentException(key + ": invalid integer " + quote(v), signed);
            }
        }
    }

    private static String quote(String v) {
        return "\"" + v + "\"";
    }

    @Override
    public String toString() {
        return switch (vals.size()) {
            case 0 -> key;
            case 1 -> key + "=" + vals.get(0);
            default -> key + "=(" + String.join(", ", vals) + ")";
        };
    }
}
