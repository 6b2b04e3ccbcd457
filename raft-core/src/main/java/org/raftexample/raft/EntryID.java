package org.raftexample.raft;

import org.raftexample.raftpb.Entry;

/**
 * Identifies a log entry by its (term, index); two logs holding entries with the same ID agree
 * on that entry and everything before it.
 */
record EntryID(long term, long index) {

    /** The ID of the given entry. */
    static EntryID of(Entry e) {
        return new EntryID(e.getTerm(), e.getIndex());
    }

    /** Prints as Go's {@code %+v} of etcd's entryID, which log lines and errors contain. */
    @Override
    public String toString() {
        return "{term:" + term + " index:" + index + "}";
    }
}
