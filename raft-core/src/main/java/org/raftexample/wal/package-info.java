/**
 * The write-ahead log, a port of etcd's {@code server/storage/wal}: raft's hard state, entries
 * and snapshot markers in segment files of CRC-chained records, synced once per save.
 *
 * <p>The public API is {@link org.raftexample.wal.WAL} (create, open at a snapshot, read all,
 * save, save a snapshot marker, release and purge old segments), its
 * {@link org.raftexample.wal.WalOptions} and {@link org.raftexample.wal.WalContents}, and its
 * exceptions. The record encoding, segment names, CRC and lock helpers are package-private.
 *
 * <p>Invariants: records are never rewritten; a segment is named after the first index it may
 * hold; a torn tail (a crash in the middle of a write) is cut on open, a damaged record anywhere
 * else is a {@link org.raftexample.wal.CorruptWalException}; after a failed write the WAL refuses
 * further writes until reopened. One process holds a directory's lock at a time.
 *
 * <p>Thread contract: the public methods of {@code WAL} are synchronized and may be called from
 * any thread, but the application's order of calls (snapshot marker before the entries that
 * follow it, save before sending) is what makes the log correct; raftexample calls it from its
 * Ready thread only.
 */
package org.raftexample.wal;
