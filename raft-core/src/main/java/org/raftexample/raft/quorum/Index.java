package org.raftexample.raft.quorum;

/**
 * Helpers for Raft log positions as the quorum code computes them (Go's {@code quorum.Index},
 * kept as a plain {@code long} so hot paths do not box).
 */
public final class Index {
    /**
     * The committed index of an empty majority: larger than any real index so that, in a joint
     * configuration, an empty half defers to the other half. Go uses math.MaxUint64.
     */
    public static final long MAX = Long.MAX_VALUE;

    private Index() {}

    /**
     * Prints an index as Go's Index.String does: decimal, or "∞" for {@link #MAX}.
     *
     * @param index the index
     * @return the text
     */
    public static String toString(long index) {
        return index == MAX ? "∞" : Long.toUnsignedString(index);
    }
}
