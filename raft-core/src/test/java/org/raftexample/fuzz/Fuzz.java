package org.raftexample.fuzz;

import java.util.HexFormat;
import java.util.Random;
import java.util.function.Function;

/**
 * Runs a fuzz property: a fixed number of tries, each with inputs drawn from a {@link Random} that depends only
 * on the run's seed and the try's number, so a failure can be replayed exactly. The seed is the test's fixed
 * default unless {@code -Dfuzz.seed=N} is given, and the number of tries likewise unless {@code -Dfuzz.tries=N}
 * is (Maven passes both to the test JVM). A failing try is reported with its number, the seed to replay it and
 * its input; there is no shrinking.
 *
 * <p>Used by one test thread at a time; holds no state.
 */
public final class Fuzz {

    /** The body of a property: checks one input, throwing (an {@link AssertionError} or anything) when it fails. */
    @FunctionalInterface
    public interface Check<T> {
        void check(T input) throws Exception;
    }

    private Fuzz() {}

    /** The run's seed: {@code -Dfuzz.seed} or the test's default. */
    public static long seed(long defaultSeed) {
        return Long.getLong("fuzz.seed", defaultSeed);
    }

    /** The run's number of tries: {@code -Dfuzz.tries} or the test's default. */
    public static int tries(int defaultTries) {
        return Integer.getInteger("fuzz.tries", defaultTries);
    }

    /**
     * Checks {@code property} on {@link #tries} inputs from {@code generate}; {@code describe} renders a failing
     * input for the report (see {@link #hex}). Each try has its own {@code Random}, so the inputs of try k do not
     * depend on how much randomness earlier tries consumed.
     */
    public static <T> void forAll(
            long defaultSeed,
            int defaultTries,
            Function<Random, T> generate,
            Function<T, String> describe,
            Check<T> property) {
        long seed = seed(defaultSeed);
        int tries = tries(defaultTries);
        for (int i = 0; i < tries; i++) {
            T input = generate.apply(new Random(trySeed(seed, i)));
            try {
                property.check(input);
            } catch (Throwable failure) {
                throw new AssertionError(
                        "fuzz try " + (i + 1) + " of " + tries + " failed (replay: -Dfuzz.seed=" + seed + "); input: "
                                + describe.apply(input) + ": " + failure,
                        failure);
            }
        }
    }

    /** Distinct, well-spread seeds for consecutive tries (the SplitMix64 finaliser over seed and try). */
    static long trySeed(long seed, int i) {
        long z = seed + (i + 1) * 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Hex of at most the first 64 bytes, with the full length, for a failure message. */
    public static String hex(byte[] b) {
        int shown = Math.min(b.length, 64);
        return b.length + " bytes " + HexFormat.of().formatHex(b, 0, shown) + (shown < b.length ? "..." : "");
    }

    /** One of the given values, each equally likely (repeat a value to weight it). */
    @SafeVarargs
    public static <T> T oneOf(Random r, T... values) {
        return values[r.nextInt(values.length)];
    }

    /** A string of {@code min} to {@code max} characters drawn from {@code chars}. */
    public static String string(Random r, String chars, int min, int max) {
        int n = min + r.nextInt(max - min + 1);
        StringBuilder s = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            s.append(chars.charAt(r.nextInt(chars.length())));
        }
        return s.toString();
    }
}
