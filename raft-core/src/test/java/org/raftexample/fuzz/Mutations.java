package org.raftexample.fuzz;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Byte-level damage for the fuzz tests: a list of edits applied in turn to a valid input (bit flips, byte
 * overwrites, truncation, insertion and deletion of ranges, a run of 0xff that turns a length field into a huge
 * number, a duplicated range), and random bytes for inputs that were never valid. Generated from a seeded
 * {@link Random} (see {@link Fuzz}); stateless.
 */
public final class Mutations {

    /** One edit; {@code at} and {@code len} are taken modulo the input's current length. */
    public record Op(Kind kind, int at, int len, byte value) {}

    /** A damaged input and the edits that made it; prints both (the bytes as truncated hex) for a report. */
    public record Damaged(List<Op> edits, byte[] bytes) {
        @Override
        public String toString() {
            return Fuzz.hex(bytes) + " from edits " + edits;
        }
    }

    public enum Kind {
        FLIP_BIT,
        SET_BYTE,
        TRUNCATE,
        INSERT,
        DELETE,
        HUGE_LENGTH,
        DUPLICATE
    }

    private Mutations() {}

    /** One to eight edits. */
    public static List<Op> ops(Random r) {
        Kind[] kinds = Kind.values();
        int n = 1 + r.nextInt(8);
        List<Op> ops = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ops.add(new Op(kinds[r.nextInt(kinds.length)], r.nextInt(Integer.MAX_VALUE), 1 + r.nextInt(64), (byte)
                    r.nextInt(256)));
        }
        return ops;
    }

    /** {@code original} damaged by one to eight edits. */
    public static Damaged damage(Random r, byte[] original) {
        List<Op> edits = ops(r);
        return new Damaged(edits, apply(original, edits));
    }

    /**
     * Random bytes, up to {@code max} of them, for inputs that were never valid. One in four is at most 16 bytes
     * long (empty included), so short inputs are tried as often as long ones.
     */
    public static byte[] randomBytes(Random r, int max) {
        int n = r.nextInt(4) == 0 ? r.nextInt(Math.min(max, 16) + 1) : r.nextInt(max + 1);
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    public static byte[] apply(byte[] original, List<Op> ops) {
        byte[] b = original.clone();
        for (Op op : ops) {
            b = apply(b, op);
        }
        return b;
    }

    private static byte[] apply(byte[] b, Op op) {
        int n = b.length;
        int at = n == 0 ? 0 : Math.floorMod(op.at(), n);
        int len = Math.min(op.len(), n - at);
        switch (op.kind()) {
            case FLIP_BIT -> {
                if (n > 0) {
                    b[at] ^= (byte) (1 << (op.value() & 7));
                }
                return b;
            }
            case SET_BYTE -> {
                if (n > 0) {
                    b[at] = op.value();
                }
                return b;
            }
            case TRUNCATE -> {
                return Arrays.copyOf(b, at);
            }
            case INSERT -> {
                byte[] out = new byte[n + op.len()];
                System.arraycopy(b, 0, out, 0, at);
                Arrays.fill(out, at, at + op.len(), op.value());
                System.arraycopy(b, at, out, at + op.len(), n - at);
                return out;
            }
            case DELETE -> {
                byte[] out = new byte[n - len];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(b, at + len, out, at, n - at - len);
                return out;
            }
            case HUGE_LENGTH -> {
                Arrays.fill(b, at, Math.min(n, at + 8), (byte) 0xff);
                if (n > at + 8 && op.value() >= 0) {
                    b[at + 7] = 0x7f;
                }
                return b;
            }
            case DUPLICATE -> {
                byte[] out = new byte[n + len];
                System.arraycopy(b, 0, out, 0, at + len);
                System.arraycopy(b, at, out, at + len, n - at);
                return out;
            }
            default -> throw new IllegalStateException(op.kind().toString());
        }
    }
}
