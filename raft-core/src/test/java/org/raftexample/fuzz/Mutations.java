package org.raftexample.fuzz;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Byte-level damage for the fuzz tests: a list of edits applied in turn to a valid input (bit flips, byte
 * overwrites, truncation, insertion and deletion of ranges, a run of 0xff that turns a length field into a huge
 * number, a duplicated range). jqwik shrinks a failing list towards the fewest, smallest edits.
 */
public final class Mutations {

    /** One edit; {@code at} and {@code len} are taken modulo the input's current length. */
    public record Op(Kind kind, int at, int len, byte value) {
    }

    public enum Kind { FLIP_BIT, SET_BYTE, TRUNCATE, INSERT, DELETE, HUGE_LENGTH, DUPLICATE }

    private Mutations() {
    }

    /** One to eight edits. */
    public static Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(
                Arbitraries.of(Kind.class),
                Arbitraries.integers().between(0, Integer.MAX_VALUE),
                Arbitraries.integers().between(1, 64),
                Arbitraries.bytes()).as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(8);
    }

    /** Random bytes, up to {@code max} of them, for inputs that were never valid. */
    public static Arbitrary<byte[]> randomBytes(int max) {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(max);
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
