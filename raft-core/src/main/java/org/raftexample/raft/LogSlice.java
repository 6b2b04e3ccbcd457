package org.raftexample.raft;

import java.util.List;
import java.util.Optional;
import org.raftexample.raftpb.Entry;

/**
 * A run of consecutive log entries as a leader of {@code term} has them, following the entry
 * {@code prev}; what a MsgApp carries.
 *
 * <p>A well-formed slice has entries[i].index == prev.index+1+i, terms that never decrease
 * (starting from prev.term) and no entry newer than {@code term}. Slices built from outside
 * input (messages, storage, tests) are checked with {@link #valid()}.
 */
record LogSlice(long term, EntryID prev, List<Entry> entries) {

    /** The index of the last entry, or prev's index when there are no entries. */
    long lastIndex() {
        return prev.index() + entries.size();
    }

    /** The ID of the last entry, or prev when there are no entries. */
    EntryID lastEntryID() {
        int n = entries.size();
        return n == 0 ? prev : EntryID.of(entries.get(n - 1));
    }

    /** Empty when the slice is well-formed, otherwise why it is not (etcd's error text). */
    Optional<String> valid() {
        EntryID last = prev;
        for (int i = 0, n = entries.size(); i < n; i++) {
            EntryID id = EntryID.of(entries.get(i));
            if (id.term() < last.term() || id.index() != last.index() + 1) {
                return Optional.of(String.format("leader term %d: entries %s and %s not consistent", term, last, id));
            }
            last = id;
        }
        if (term < last.term()) {
            return Optional.of(String.format("leader term %d: entry %s has a newer term", term, last));
        }
        return Optional.empty();
    }
}
