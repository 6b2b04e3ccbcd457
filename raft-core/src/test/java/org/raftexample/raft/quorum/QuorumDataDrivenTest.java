package org.raftexample.raft.quorum;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.raftexample.raft.datadriven.CmdArg;
import org.raftexample.raft.datadriven.TestData;
import org.raftexample.raft.datadriven.TestdataDir;

/**
 * Runs etcd's {@code quorum/testdata/*.txt} scripts (Go: quorum/datadriven_test.go).
 *
 * <p>{@code committed cfg=(..) [cfgj=(..)|cfgj=zero] idx=(..)} prints the acknowledgement
 * picture and the committed index; {@code vote cfg=(..) [cfgj=..] votes=(y,n,_ ..)} prints the
 * vote result. Values in {@code idx}/{@code votes} are matched to the voters of {@code cfg} then
 * {@code cfgj} in order, each voter once; {@code _} means "no information". Like the Go harness,
 * every case is also computed in ways that must agree (naively, joined with an empty or the same
 * config, halves swapped, a voter's index lowered), and any disagreement is appended to the output.
 */
class QuorumDataDrivenTest {

    @TestFactory
    Stream<DynamicTest> quorumScripts() {
        return TestdataDir.scripts("quorum/testdata", () -> QuorumDataDrivenTest::run);
    }

    static String run(TestData d) {
        boolean joint = false;
        List<Long> ids = new ArrayList<>();
        List<Long> idsj = new ArrayList<>();
        // Placeholders (_) are 0; votes are 1 for no and 2 for yes so both share makeLookuper.
        List<Long> idxs = new ArrayList<>();
        List<Long> votes = new ArrayList<>();

        for (CmdArg arg : d.cmdArgs) {
            for (int i = 0; i < arg.vals().size(); i++) {
                String v = arg.vals().get(i);
                switch (arg.key()) {
                    case "cfg" -> ids.add(arg.scanLong(i));
                    case "cfgj" -> {
                        joint = true;
                        if (v.equals("zero")) {
                            if (arg.vals().size() != 1) {
                                throw new IllegalArgumentException(d.pos + ": cannot mix 'zero' into configuration");
                            }
                        } else {
                            idsj.add(arg.scanLong(i));
                        }
                    }
                    case "idx" -> {
                        long n = 0;
                        if (!v.equals("_")) {
                            n = arg.scanLong(i);
                            if (n == 0) {
                                throw new IllegalArgumentException(d.pos + ": cannot use 0 as idx");
                            }
                        }
                        idxs.add(n);
                    }
                    case "votes" ->
                        votes.add(
                                switch (v) {
                                    case "y" -> 2L;
                                    case "n" -> 1L;
                                    case "_" -> 0L;
                                    default -> throw new IllegalArgumentException(d.pos + ": unknown vote: " + v);
                                });
                    default -> throw new IllegalArgumentException(d.pos + ": unknown arg " + arg.key());
                }
            }
        }

        MajorityConfig c = new MajorityConfig(ids);
        MajorityConfig cj = new MajorityConfig(idsj);

        List<Long> input = d.cmd.equals("vote") ? votes : idxs;
        Set<Long> voters = new JointConfig(c, cj).ids();
        if (voters.size() != input.size()) {
            return String.format(
                    "error: mismatched input (explicit or _) for voters %s: %s",
                    goMapOfSet(voters), goSliceOfIndexes(input));
        }

        StringBuilder buf = new StringBuilder();
        switch (d.cmd) {
            case "committed" -> {
                MapAckIndexer l = makeLookuper(idxs, ids, idsj);
                if (!joint) {
                    long idx = c.committedIndex(l);
                    buf.append(c.describe(l));
                    long aIdx = QuickTest.alternativeMajorityCommittedIndex(c, l);
                    if (aIdx != idx) {
                        buf.append(Index.toString(aIdx)).append(" <-- via alternative computation\n");
                    }
                    aIdx = new JointConfig(c, new MajorityConfig()).committedIndex(l);
                    if (aIdx != idx) {
                        buf.append(Index.toString(aIdx)).append(" <-- via zero-joint quorum\n");
                    }
                    aIdx = new JointConfig(c, c).committedIndex(l);
                    if (aIdx != idx) {
                        buf.append(Index.toString(aIdx)).append(" <-- via self-joint quorum\n");
                    }
                    for (long id : c.slice()) {
                        long iidx = Math.max(l.ackedIndex(id), 0);
                        if (idx > iidx && iidx > 0) {
                            // Lowering an index that is already below the committed one must not move it.
                            aIdx = c.committedIndex(overlay(c, l, id, iidx - 1));
                            if (aIdx != idx) {
                                buf.append(String.format("%s <-- overlaying %d->%d", Index.toString(aIdx), id, iidx));
                            }
                            aIdx = c.committedIndex(overlay(c, l, id, 0));
                            if (aIdx != idx) {
                                buf.append(String.format("%s <-- overlaying %d->0", Index.toString(aIdx), id));
                            }
                        }
                    }
                    buf.append(Index.toString(idx)).append('\n');
                } else {
                    JointConfig cc = new JointConfig(c, cj);
                    buf.append(cc.describe(l));
                    long idx = cc.committedIndex(l);
                    long aIdx = new JointConfig(cj, c).committedIndex(l);
                    if (aIdx != idx) {
                        buf.append(Index.toString(aIdx)).append(" <-- via symmetry\n");
                    }
                    buf.append(Index.toString(idx)).append('\n');
                }
            }
            case "vote" -> {
                MapAckIndexer ll = makeLookuper(votes, ids, idsj);
                Map<Long, Boolean> l = new HashMap<>();
                ll.forEach((id, v) -> l.put(id, v != 1));
                if (!joint) {
                    buf.append(c.voteResult(l)).append('\n');
                } else {
                    VoteResult r = new JointConfig(c, cj).voteResult(l);
                    VoteResult ar = new JointConfig(cj, c).voteResult(l);
                    if (ar != r) {
                        buf.append(ar).append(" <-- via symmetry\n");
                    }
                    buf.append(r).append('\n');
                }
            }
            default -> throw new IllegalArgumentException(d.pos + ": unknown command: " + d.cmd);
        }
        return buf.toString();
    }

    /**
     * Assigns values to voters in the order they appear in ids then idsj (each voter once), then
     * drops the zeros: a placeholder means "no entry", which differs from an entry of zero.
     */
    static MapAckIndexer makeLookuper(List<Long> values, List<Long> ids, List<Long> idsj) {
        MapAckIndexer l = new MapAckIndexer();
        int p = 0;
        Set<Long> order = new LinkedHashSet<>(ids);
        order.addAll(idsj);
        for (long id : order) {
            if (p < values.size()) {
                l.put(id, values.get(p++));
            }
        }
        l.values().removeIf(v -> v == 0);
        return l;
    }

    /** The acknowledgements of c's voters with id's replaced by idx. */
    private static AckedIndexer overlay(MajorityConfig c, AckedIndexer l, long id, long idx) {
        MapAckIndexer ll = new MapAckIndexer();
        for (long iid : c) {
            if (iid == id) {
                ll.put(iid, idx);
            } else {
                long v = l.ackedIndex(iid);
                if (v != AckedIndexer.NOT_FOUND) {
                    ll.put(iid, v);
                }
            }
        }
        return ll;
    }

    /** Go's %v of a map[uint64]struct{}: {@code map[1:{} 2:{}]}, keys sorted. */
    private static String goMapOfSet(Set<Long> ids) {
        return MajorityConfig.sorted(ids).stream()
                .map(id -> Long.toUnsignedString(id) + ":{}")
                .collect(Collectors.joining(" ", "map[", "]"));
    }

    /** Go's %v of a []Index: {@code [1 0 ∞]}. */
    private static String goSliceOfIndexes(List<Long> idxs) {
        return idxs.stream().map(Index::toString).collect(Collectors.joining(" ", "[", "]"));
    }
}
