package org.raftexample.wal;

import java.util.List;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;

/**
 * What {@link WAL#readAll()} recovers.
 *
 * @param metadata  the metadata given to {@link WAL#create}, or null when none was given
 * @param hardState the last hard state saved (the empty HardState when none was)
 * @param entries   the entries after the snapshot marker the WAL was opened at, in index order;
 *                  an entry saved again at an index replaced the earlier one and everything after
 *                  it. Entries past {@code hardState.commit} may still be overwritten by raft.
 */
public record WalContents(byte[] metadata, HardState hardState, List<Entry> entries) {}
