package org.raftexample.raft;

import java.util.ArrayList;
import java.util.List;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.EntryType;

/**
 * Builds runs of log entries for tests, as etcd's test helper {@code index(i).terms(...)} does:
 * {@code index(5).terms(1, 1, 2)} is three entries at indexes 5, 6 and 7 with terms 1, 1, 2.
 *
 * <p>Only the fields etcd's helper sets are set, so encoded sizes match etcd's tests.
 */
final class EntryFactory {
    private EntryFactory() {}

    /** The first index of the entries to build. */
    static Index index(long first) {
        return new Index(first);
    }

    /** One entry with the given term and index (type and data unset). */
    static Entry entry(long index, long term) {
        return Entry.newBuilder().setTerm(term).setIndex(index).build();
    }

    record Index(long first) {
        /** Entries at [first, first+terms.length) with the given (non-decreasing) terms. */
        List<Entry> terms(long... terms) {
            List<Entry> out = new ArrayList<>(terms.length);
            long i = first;
            for (long t : terms) {
                out.add(entry(i++, t));
            }
            return List.copyOf(out);
        }

        /**
         * {@code to - from} entries at consecutive indexes from first, with consecutive terms in
         * [from, to), and their type set to EntryNormal explicitly (as etcd's termRange does).
         */
        List<Entry> termRange(long from, long to) {
            List<Entry> out = new ArrayList<>((int) (to - from));
            long i = first;
            for (long t = from; t < to; t++) {
                out.add(Entry.newBuilder()
                        .setTerm(t)
                        .setIndex(i++)
                        .setType(EntryType.EntryNormal)
                        .build());
            }
            return List.copyOf(out);
        }
    }
}
