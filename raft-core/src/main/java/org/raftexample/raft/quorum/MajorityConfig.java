package org.raftexample.raft.quorum;

import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A set of voter ids that decides by simple majority: the set behind one half of a
 * {@link JointConfig}. It is a mutable {@code Set<Long>} (Go's {@code map[uint64]struct{}}) so
 * that configuration changes can edit it in place.
 */
public final class MajorityConfig extends AbstractSet<Long> {
    private final Set<Long> ids;

    /** An empty set of voters. */
    public MajorityConfig() {
        this.ids = new HashSet<>();
    }

    /**
     * A set holding these voters (copied).
     *
     * @param ids the voters
     */
    public MajorityConfig(Collection<Long> ids) {
        this.ids = new HashSet<>(ids);
    }

    /**
     * A set holding these voters.
     *
     * @param ids the voters
     * @return the configuration
     */
    public static MajorityConfig of(long... ids) {
        MajorityConfig c = new MajorityConfig();
        for (long id : ids) {
            c.add(id);
        }
        return c;
    }

    @Override
    public Iterator<Long> iterator() {
        return ids.iterator();
    }

    @Override
    public int size() {
        return ids.size();
    }

    @Override
    public boolean contains(Object o) {
        return ids.contains(o);
    }

    @Override
    public boolean add(Long id) {
        return ids.add(id);
    }

    @Override
    public boolean remove(Object o) {
        return ids.remove(o);
    }

    @Override
    public void clear() {
        ids.clear();
    }

    /**
     * The ids in ascending (unsigned) order.
     *
     * @return the sorted ids
     */
    public List<Long> slice() {
        return sorted(ids);
    }

    static List<Long> sorted(Collection<Long> ids) {
        List<Long> sl = new ArrayList<>(ids);
        sl.sort(Long::compareUnsigned);
        return sl;
    }

    /**
     * Prints ids as Go does: sorted, in hex, space separated, in parentheses, e.g. {@code (1 2 a)}.
     *
     * @param ids the ids
     * @return the text
     */
    public static String format(Collection<Long> ids) {
        StringBuilder sb = new StringBuilder("(");
        List<Long> sl = sorted(ids);
        for (int i = 0; i < sl.size(); i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(Long.toHexString(sl.get(i)));
        }
        return sb.append(')').toString();
    }

    @Override
    public String toString() {
        return format(ids);
    }

    /** One voter's line in {@link #describe}. */
    private static final class Row {
        final long id;
        final long idx;
        final boolean ok;
        int bar;

        Row(long id, long idx, boolean ok) {
            this.id = id;
            this.idx = idx;
            this.ok = ok;
        }
    }

    /**
     * A multi-line picture of the acknowledged indexes, one voter per line sorted by id: a bar
     * whose length grows with the rank of the voter's index (equal indexes get equal bars), or
     * {@code ?} when the voter has not acknowledged anything.
     *
     * @param l the acknowledged index of each voter
     * @return the picture
     */
    public String describe(AckedIndexer l) {
        if (ids.isEmpty()) {
            return "<empty majority quorum>";
        }
        int n = ids.size();
        List<Row> rows = new ArrayList<>(n);
        for (long id : ids) {
            long idx = l.ackedIndex(id);
            boolean ok = idx != AckedIndexer.NOT_FOUND;
            rows.add(new Row(id, ok ? idx : 0, ok));
        }
        rows.sort(Comparator.<Row>comparingLong(r -> r.idx).thenComparing((a, b) -> Long.compareUnsigned(a.id, b.id)));
        for (int i = 1; i < rows.size(); i++) {
            rows.get(i).bar = rows.get(i - 1).idx < rows.get(i).idx ? i : rows.get(i - 1).bar;
        }
        rows.sort((a, b) -> Long.compareUnsigned(a.id, b.id));

        StringBuilder sb = new StringBuilder();
        sb.append(" ".repeat(n)).append("    idx\n");
        for (Row r : rows) {
            if (!r.ok) {
                sb.append('?').append(" ".repeat(n));
            } else {
                sb.append("x".repeat(r.bar)).append('>').append(" ".repeat(n - r.bar));
            }
            sb.append(String.format(" %5s    (id=%s)\n", Long.toUnsignedString(r.idx), Long.toHexString(r.id)));
        }
        return sb.toString();
    }

    /**
     * The highest index acknowledged by a majority of the voters. Voters without an
     * acknowledgement count as having acknowledged 0. An empty config returns {@link Index#MAX} so
     * that it does not constrain the other half of a joint configuration.
     *
     * @param l the acknowledged index of each voter
     * @return the committed index
     */
    public long committedIndex(AckedIndexer l) {
        int n = ids.size();
        if (n == 0) {
            return Index.MAX;
        }
        long[] srt = new long[n];
        // Missing voters stay 0 at the front; filling from the right keeps them there.
        int i = n - 1;
        for (long id : ids) {
            long idx = l.ackedIndex(id);
            if (idx != AckedIndexer.NOT_FOUND) {
                srt[i--] = idx;
            }
        }
        Arrays.sort(srt);
        // The n/2+1 largest indexes form a quorum; the smallest of them is committed.
        return srt[n - (n / 2 + 1)];
    }

    /**
     * Tallies yes (true) and no (false) votes. An empty config wins by convention, which makes
     * a joint configuration with an empty half behave like its other half.
     *
     * @param votes the votes received, true for yes
     * @return the outcome
     */
    public VoteResult voteResult(Map<Long, Boolean> votes) {
        if (ids.isEmpty()) {
            return VoteResult.VoteWon;
        }
        int yes = 0;
        int missing = 0;
        for (Long id : ids) {
            Boolean v = votes.get(id);
            if (v == null) {
                missing++;
            } else if (v) {
                yes++;
            }
        }
        int q = ids.size() / 2 + 1;
        if (yes >= q) {
            return VoteResult.VoteWon;
        }
        if (yes + missing >= q) {
            return VoteResult.VotePending;
        }
        return VoteResult.VoteLost;
    }
}
