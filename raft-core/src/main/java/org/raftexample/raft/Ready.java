package org.raftexample.raft;

import java.util.List;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.Snapshot;

/**
 * One batch of work raft hands to the application: what to persist, what to send, what to apply.
 *
 * <p>Without async storage writes the application must, in this order, persist
 * {@code hardState}, {@code entries} and {@code snapshot} (durably when {@code mustSync}), then
 * send {@code messages}, apply {@code committedEntries}, and finally call {@link RawNode#advance}.
 * With async storage writes the persistence and apply work also arrives as MsgStorageAppend and
 * MsgStorageApply messages in {@code messages}.
 *
 * @param softState        the new volatile state, or null when it did not change
 * @param hardState        the hard state to persist before sending messages, or null when unchanged
 * @param readStates       answers to ReadIndex requests (never null)
 * @param entries          entries to persist before sending messages (never null)
 * @param snapshot         a snapshot to persist and apply, or null
 * @param committedEntries entries to apply to the state machine (never null)
 * @param messages         messages to send once the above is persisted (never null)
 * @param mustSync         whether the hard state and entries must be written durably
 */
public record Ready(
        SoftState softState,
        HardState hardState,
        List<ReadState> readStates,
        List<Entry> entries,
        Snapshot snapshot,
        List<Entry> committedEntries,
        List<Message> messages,
        boolean mustSync) {

    /**
     * A Ready; null lists become empty ones.
     *
     * @param softState the new volatile state, or null when it did not change
     * @param hardState the hard state to persist before sending messages, or null when unchanged
     * @param readStates answers to ReadIndex requests (never null)
     * @param entries entries to persist before sending messages (never null)
     * @param snapshot a snapshot to persist and apply, or null
     * @param committedEntries entries to apply to the state machine (never null)
     * @param messages messages to send once the above is persisted (never null)
     * @param mustSync whether the hard state and entries must be written durably
     */
    public Ready {
        readStates = readStates == null ? List.of() : readStates;
        entries = entries == null ? List.of() : entries;
        committedEntries = committedEntries == null ? List.of() : committedEntries;
        messages = messages == null ? List.of() : messages;
    }

    /**
     * A Ready with nothing in it.
     *
     * @return the empty Ready
     */
    public static Ready empty() {
        return new Ready(null, null, null, null, null, null, null, false);
    }

    /**
     * True when this Ready carries no work at all (etcd compares against an empty struct).
     *
     * @return true if there is nothing to do
     */
    public boolean isEmpty() {
        return softState == null
                && hardState == null
                && readStates.isEmpty()
                && entries.isEmpty()
                && snapshot == null
                && committedEntries.isEmpty()
                && messages.isEmpty()
                && !mustSync;
    }

    @Override
    public String toString() {
        return Util.describeReady(this, null);
    }
}
