package org.raftexample.kvstore;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.raftexample.kvstore.proto.KV;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.EntryType;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/**
 * Generates well-formed raftpb messages an attacker on the peer network could send (issue 13), from a seed, each
 * with the answer the transport must give it: 400 for what no member of a real cluster sends (a term or index of
 * 2^63 or more, a local message type, a term where raft sets none or none where it sets one, a snapshot off its
 * endpoint, an append whose entries do not follow one another, a proposal or read request without entries),
 * 204 for everything else. (A non-member sender is refused with 404 before any of that; the caller expects it.)
 *
 * <p>What is accepted is limited to messages whose effect raft tolerates from anyone: vote requests and
 * refusals, heartbeat responses, leadership transfer, acknowledgements beyond any log, proposals, read
 * requests, and leader messages (appends, heartbeats, snapshots, grants) of a term that is already over (term 1:
 * every node is past it once a leader has been elected). A leader message of the current term, a vote grant,
 * or an acknowledgement of entries the leader has, forged in a member's name, is indistinguishable from the
 * member's own without authentication; that is what TLS with client certificates is for, and no generator
 * here makes one.
 */
final class ForgedMessages {
    static final long TWO_TO_63 = 1L << 63;
    /** An index no log in these tests reaches: acknowledging it is always a forgery. */
    static final long BEYOND_ANY_LOG = 1_000_000_000L;
    /** Key prefix of the key-value records forged proposals carry; they are committed like any write. */
    static final String FORGED_KEY_PREFIX = "/forged-";

    /**
     * One message to send: where, as whom, and the status the transport must answer. {@code poison}: a proposal
     * holding an entry no member could apply, which the target must drop before raft (and count).
     */
    record Forged(
            long sender,
            long target,
            Message message,
            boolean snapshotEndpoint,
            int expectedStatus,
            String kind,
            boolean poison) {
        Forged(long sender, long target, Message message, boolean snapshotEndpoint, int expectedStatus, String kind) {
            this(sender, target, message, snapshotEndpoint, expectedStatus, kind, false);
        }
    }

    private static final MessageType[] LOCAL = {
        MessageType.MsgHup,
        MessageType.MsgBeat,
        MessageType.MsgUnreachable,
        MessageType.MsgSnapStatus,
        MessageType.MsgCheckQuorum,
        MessageType.MsgStorageAppend,
        MessageType.MsgStorageAppendResp,
        MessageType.MsgStorageApply,
        MessageType.MsgStorageApplyResp
    };

    private final Random random;
    private final long[] senders;
    private final int members;
    private final List<String> forgedKeys = new ArrayList<>();
    private int count;
    private long termHint = 2;

    /** Messages to members 1..{@code members}, from each member and from {@code nonMembers} in turn. */
    ForgedMessages(long seed, int members, long... nonMembers) {
        this.random = new Random(seed);
        this.members = members;
        this.senders = new long[members + nonMembers.length];
        for (int i = 0; i < members; i++) {
            senders[i] = i + 1;
        }
        System.arraycopy(nonMembers, 0, senders, members, nonMembers.length);
    }

    /**
     * Tells the generator the highest term the cluster is known to have reached, so that the terms it picks
     * for the messages raft tolerates from anyone land on the current term and just above it, where they take
     * effect, rather than all being stale once forged votes have moved the cluster on.
     */
    void termHint(long term) {
        termHint = Math.max(2, term);
    }

    /** The keys of the key-value records carried by forged proposals so far. */
    List<String> forgedKeys() {
        return forgedKeys;
    }

    Forged next() {
        long sender = senders[count % senders.length];
        long target = 1 + random.nextInt(members);
        if (target == sender) {
            target = target % members + 1; // a node is not its own peer: it would refuse the sender with 404
        }
        count++;
        int dice = random.nextInt(100);
        if (dice < 25) {
            return outOfRange(sender, target);
        }
        if (dice < 30) {
            return refused(
                    sender,
                    target,
                    msg(LOCAL[random.nextInt(LOCAL.length)], sender, target, smallTerm())
                            .build(),
                    "local type");
        }
        if (dice < 35) {
            boolean termless = random.nextBoolean();
            Message m = termless
                    ? msg(MessageType.MsgProp, sender, target, 1 + random.nextInt(50))
                            .addEntries(kvEntry())
                            .build()
                    : msg(pick(MessageType.MsgHeartbeat, MessageType.MsgApp, MessageType.MsgVote), sender, target, 0)
                            .build();
            return refused(sender, target, m, termless ? "proposal with a term" : "missing term");
        }
        if (dice < 38) {
            return refused(
                    sender,
                    target,
                    snap(sender, target, 1, 1 + random.nextInt(1000)).build(),
                    "MsgSnap on /raft");
        }
        if (dice < 40) {
            return refused(
                    sender,
                    target,
                    msg(pick(MessageType.MsgProp, MessageType.MsgReadIndex), sender, target, 0)
                            .build(),
                    "proposal or read request without entries");
        }
        if (dice < 45) {
            Message.Builder b = msg(MessageType.MsgApp, sender, target, 1).setIndex(random.nextInt(100));
            b.addEntries(Entry.newBuilder().setTerm(1).setIndex(b.getIndex() + 2 + random.nextInt(5)));
            return refused(sender, target, b.build(), "append with a gap");
        }
        return plausible(sender, target);
    }

    private Forged plausible(long sender, long target) {
        return switch (random.nextInt(11)) {
            case 0 ->
                accepted(
                        sender,
                        target,
                        msg(pick(MessageType.MsgVote, MessageType.MsgPreVote), sender, target, smallTerm())
                                .setLogTerm(random.nextInt(40))
                                .setIndex(index())
                                .build(),
                        "vote request");
            case 1 ->
                accepted(
                        sender,
                        target,
                        msg(MessageType.MsgAppResp, sender, target, smallTerm())
                                .setReject(true)
                                .setIndex(index())
                                .setRejectHint(index())
                                .setLogTerm(random.nextInt(40))
                                .build(),
                        "append rejection");
            case 2 ->
                accepted(
                        sender,
                        target,
                        msg(MessageType.MsgAppResp, sender, target, smallTerm())
                                .setIndex(BEYOND_ANY_LOG + random.nextInt(1 << 20))
                                .build(),
                        "ack beyond any log");
            case 3 ->
                accepted(
                        sender,
                        target,
                        msg(
                                        pick(
                                                MessageType.MsgHeartbeatResp,
                                                MessageType.MsgTransferLeader,
                                                MessageType.MsgTimeoutNow),
                                        sender,
                                        target,
                                        smallTerm())
                                .build(),
                        "response or transfer");
            case 4 -> accepted(sender, target, append(sender, target).build(), "stale append");
            case 5 ->
                accepted(
                        sender,
                        target,
                        msg(
                                        pick(
                                                MessageType.MsgHeartbeat,
                                                MessageType.MsgVoteResp,
                                                MessageType.MsgPreVoteResp,
                                                MessageType.MsgReadIndexResp),
                                        sender,
                                        target,
                                        1)
                                .setCommit(index())
                                .setIndex(index())
                                .build(),
                        "stale leader message");
            case 6 ->
                new Forged(
                        sender,
                        target,
                        snap(sender, target, 1, 1 + random.nextInt(100_000)).build(),
                        true,
                        204,
                        "stale snapshot");
            case 7, 8, 9 -> proposal(sender, target);
            default ->
                accepted(
                        sender,
                        target,
                        msg(MessageType.MsgReadIndex, sender, target, 0)
                                .addEntries(Entry.newBuilder().setData(bytes(8)))
                                .build(),
                        "read index");
        };
    }

    /** A message that would be accepted, with one term or index moved to 2^63 or above. */
    private Forged outOfRange(long sender, long target) {
        long huge = switch (random.nextInt(4)) {
            case 0 -> TWO_TO_63;
            case 1 -> TWO_TO_63 + 1;
            case 2 -> -1L; // 2^64 - 1
            default -> TWO_TO_63 | random.nextLong();
        };
        int field = random.nextInt(9);
        if (field >= 7) {
            Message.Builder s = snap(sender, target, 5, 10001);
            SnapshotMetadata.Builder md = s.getSnapshotBuilder().getMetadataBuilder();
            if (field == 7) {
                md.setTerm(huge);
            } else {
                md.setIndex(huge);
            }
            return new Forged(sender, target, s.build(), true, 400, "snapshot metadata out of range");
        }
        Message.Builder b = append(sender, target);
        switch (field) {
            case 0 -> b.setTerm(huge);
            case 1 -> b.setLogTerm(huge);
            case 2 -> b.setIndex(huge);
            case 3 -> b.setCommit(huge);
            case 4 -> b.setType(MessageType.MsgAppResp).setReject(true).setRejectHint(huge);
            case 5 -> b.addEntries(Entry.newBuilder().setTerm(huge).setIndex(b.getIndex() + b.getEntriesCount() + 1));
            default ->
                b.setType(pick(
                                MessageType.MsgVote,
                                MessageType.MsgHeartbeat,
                                MessageType.MsgAppResp,
                                MessageType.MsgTimeoutNow))
                        .clearEntries()
                        .setTerm(huge);
        }
        return refused(sender, target, b.build(), "out of range");
    }

    /** An append of term 1 whose entries follow one another, with random payloads. */
    private Message.Builder append(long sender, long target) {
        long prev = index();
        Message.Builder b = msg(MessageType.MsgApp, sender, target, 1)
                .setLogTerm(random.nextInt(2))
                .setIndex(prev)
                .setCommit(index());
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
            b.addEntries(Entry.newBuilder().setTerm(1).setIndex(prev + 1 + i).setData(bytes(random.nextInt(40))));
        }
        return b;
    }

    /**
     * A proposal of one to three entries: key-value records and empty entries, which any member applies, and
     * entries no member can apply: bytes that are not protobuf at all, protobuf that is not a key-value record
     * (a record without its value), conf changes that do not parse. One of the latter makes it poison.
     */
    private Forged proposal(long sender, long target) {
        Message.Builder b = msg(MessageType.MsgProp, sender, target, 0);
        int n = 1 + random.nextInt(3);
        boolean poison = false;
        for (int i = 0; i < n; i++) {
            int kind = random.nextInt(6);
            poison |= kind >= 2;
            b.addEntries(
                    switch (kind) {
                        case 0 -> kvEntry();
                        case 1 -> Entry.getDefaultInstance();
                        case 2 ->
                            Entry.newBuilder()
                                    .setType(pick(EntryType.EntryConfChange, EntryType.EntryConfChangeV2))
                                    .setData(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, 0x01}))
                                    .build();
                        case 3 ->
                            Entry.newBuilder()
                                    .setData(KV.newBuilder()
                                            .setKey(FORGED_KEY_PREFIX + "no-value")
                                            .build()
                                            .toByteString())
                                    .build();
                        default ->
                            // Field number 0 with wire type 7: no protobuf parser accepts the first byte.
                            Entry.newBuilder()
                                    .setData(ByteString.copyFrom(new byte[] {0x07})
                                            .concat(bytes(random.nextInt(64))))
                                    .build();
                    });
        }
        return new Forged(sender, target, b.build(), false, 204, poison ? "poison proposal" : "proposal", poison);
    }

    private Entry kvEntry() {
        String key = FORGED_KEY_PREFIX + count + "-" + random.nextInt(1000);
        forgedKeys.add(key);
        return Entry.newBuilder()
                .setData(KV.newBuilder()
                        .setKey(key)
                        .setValue(com.google.protobuf.ByteString.copyFromUtf8("forged"))
                        .build()
                        .toByteString())
                .build();
    }

    private Message.Builder snap(long sender, long target, long term, long index) {
        return msg(MessageType.MsgSnap, sender, target, term)
                .setSnapshot(Snapshot.newBuilder()
                        .setData(bytes(random.nextInt(64)))
                        .setMetadata(SnapshotMetadata.newBuilder()
                                .setTerm(term)
                                .setIndex(index)
                                .setConfState(ConfState.newBuilder()
                                        .addVoters(1)
                                        .addVoters(2)
                                        .addVoters(3))));
    }

    private Forged accepted(long sender, long target, Message m, String kind) {
        return new Forged(sender, target, m, false, 204, kind);
    }

    private Forged refused(long sender, long target, Message m, String kind) {
        return new Forged(
                sender,
                target,
                m,
                m.getType() == MessageType.MsgSnap && random.nextBoolean() && !kind.equals("MsgSnap on /raft"),
                400,
                kind);
    }

    private static Message.Builder msg(MessageType type, long from, long to, long term) {
        return Message.newBuilder().setType(type).setFrom(from).setTo(to).setTerm(term);
    }

    /** A term around the cluster's: mostly the current one or just below, sometimes a few above. */
    private long smallTerm() {
        return Math.max(1, termHint - 2 + random.nextInt(6));
    }

    /** Mostly indexes near the start of a log, sometimes far past it. */
    private long index() {
        return random.nextInt(4) == 0 ? random.nextLong() & Long.MAX_VALUE : random.nextInt(200);
    }

    private ByteString bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return ByteString.copyFrom(b);
    }

    @SafeVarargs
    private <T> T pick(T... options) {
        return options[random.nextInt(options.length)];
    }
}
