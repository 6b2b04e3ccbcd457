package org.raftexample.kvstore.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * One kind of fault. A round injects it once, holds it long enough to matter (longer than an
 * election timeout), and repairs it: after a round every member runs and every link is up. Rounds
 * run on the scenario thread while the clients keep going.
 */
interface Nemesis {

    String name();

    /** Injects, holds and repairs one fault; returns how many faults it injected. */
    int round(FaultCluster c, Random rnd) throws Exception;

    /** How many rounds a scenario runs at least, however short its duration. */
    default int minRounds() {
        return 1;
    }

    Duration HOLD = Duration.ofMillis(3500);
    Duration SETTLE = Duration.ofMillis(1500);

    static void sleep(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
    }

    static long randomOther(List<Long> members, long not, Random rnd) {
        List<Long> others = new ArrayList<>(members);
        others.remove(not);
        return others.get(rnd.nextInt(others.size()));
    }

    /** A partition isolating the leader: it keeps its clients but no longer reaches a quorum. */
    static Nemesis isolateLeader() {
        return named("partition-leader", (c, rnd) -> {
            long leader = c.awaitLeader(Duration.ofSeconds(30));
            c.network().isolate(leader);
            sleep(HOLD);
            c.network().healAll();
            sleep(SETTLE);
            return 1;
        });
    }

    /** A partition isolating one follower, which falls behind and campaigns in vain. */
    static Nemesis isolateFollower() {
        return named("partition-follower", (c, rnd) -> {
            long leader = c.awaitLeader(Duration.ofSeconds(30));
            c.network().isolate(randomOther(c.members(), leader, rnd));
            sleep(HOLD);
            c.network().healAll();
            sleep(SETTLE);
            return 1;
        });
    }

    /**
     * A bridge: the leader and one follower cannot talk, the third member talks to both. The cut-off
     * follower's campaigns reach the bridge, so leadership may move back and forth across it.
     */
    static Nemesis bridge() {
        return named("bridge-partition", (c, rnd) -> {
            long leader = c.awaitLeader(Duration.ofSeconds(30));
            long cutOff = randomOther(c.members(), leader, rnd);
            c.network().cut(leader, cutOff);
            sleep(HOLD.plus(HOLD));
            c.network().healAll();
            sleep(SETTLE);
            return 1;
        });
    }

    /** Random members' interfaces go down and up every few hundred milliseconds. */
    static Nemesis flappingLinks() {
        return named("flapping-links", (c, rnd) -> {
            int flaps = 0;
            for (long end = System.nanoTime() + HOLD.toNanos() * 2; System.nanoTime() < end; flaps++) {
                List<Long> m = c.members();
                long id = m.get(rnd.nextInt(m.size()));
                c.network().linkDown(id);
                Thread.sleep(200 + rnd.nextInt(900));
                c.network().linkUp(id);
                Thread.sleep(100 + rnd.nextInt(500));
            }
            c.network().healAll();
            sleep(SETTLE);
            return flaps;
        });
    }

    /**
     * SIGSTOP of the leader for longer than an election timeout, then SIGCONT: the woken node still
     * believes it leads, and must neither acknowledge writes it cannot commit nor serve stale reads.
     */
    static Nemesis pauseLeader() {
        return named("pause-leader", (c, rnd) -> {
            long leader = c.awaitLeader(Duration.ofSeconds(30));
            c.pause(leader);
            sleep(HOLD);
            c.resume(leader);
            sleep(SETTLE);
            return 1;
        });
    }

    /** SIGKILL of a random member, restarted after a moment. */
    static Nemesis killRandom() {
        return named("kill-random", (c, rnd) -> {
            List<Long> m = c.members();
            return killAndRestart(c, List.of(m.get(rnd.nextInt(m.size()))));
        });
    }

    /** SIGKILL of the leader, restarted after a moment. */
    static Nemesis killLeader() {
        return named("kill-leader", (c, rnd) -> killAndRestart(c, List.of(c.awaitLeader(Duration.ofSeconds(30)))));
    }

    /** SIGKILL of every member at the same instant, all restarted. */
    static Nemesis killAll() {
        return named("kill-all", (c, rnd) -> killAndRestart(c, c.members()));
    }

    private static int killAndRestart(FaultCluster c, List<Long> ids) throws InterruptedException {
        c.killAtOnce(ids);
        Thread.sleep(1500);
        for (long id : ids) {
            c.restart(id);
        }
        for (long id : ids) {
            c.awaitUp(id);
        }
        sleep(SETTLE);
        return ids.size();
    }

    /**
     * Adds a node with a fresh id (POST /id, then starts it with --join) and removes a random other
     * member (DELETE /id; it must exit 0, and its host is given back for a later addition), under
     * load. The cluster keeps three members, so rounds can repeat for as long as a soak lasts.
     */
    static Nemesis membership() {
        return named("membership", (c, rnd) -> {
            List<Long> m = c.members();
            long added = c.highestId() + 1;
            long via = m.get(rnd.nextInt(m.size()));
            String url = c.network().peerUrl(added);
            // A retry after an unknown outcome (503) may find the change already made (409). That is
            // only accepted once the node asked lists the new node among its voters: a 409 for any
            // other reason (a URL in use) must not pass for success.
            c.await("POST /" + added + " acknowledged", Duration.ofSeconds(60), () -> {
                int status = c.send(via, "POST", "/" + added, url);
                return status == 204 || status == 409 && isVoter(c, via, added) == Boolean.TRUE;
            });
            c.start(added, (int) added, true);
            c.awaitUp(added);
            c.await("node " + added + " serving linearizable reads", Duration.ofSeconds(60), () -> {
                String r = c.get(added, "/membership-probe");
                return r.startsWith("404 ") || r.startsWith("200 ");
            });
            c.serveClients(added);
            sleep(SETTLE);

            long removed = randomOther(c.members(), added, rnd);
            long asker = randomOther(c.members(), removed, rnd);
            c.removeMember(removed); // clients stop choosing it
            // Likewise a retried removal may find the node already gone (404), accepted once the node
            // asked no longer lists it among its voters.
            c.await("DELETE /" + removed + " acknowledged", Duration.ofSeconds(60), () -> {
                int status = c.send(asker, "DELETE", "/" + removed, null);
                return status == 204 || status == 404 && isVoter(c, asker, removed) == Boolean.FALSE;
            });
            int code = c.awaitExit(removed, Duration.ofSeconds(30));
            if (code != 0) {
                throw new AssertionError(
                        "removed node " + removed + " ended with " + code + " instead of 0\n" + c.tails());
            }
            c.network().release(removed);
            sleep(SETTLE);
            return 2;
        });
    }

    /** Whether node {@code asked} has applied {@code id} as a voter; null when it did not answer. */
    private static Boolean isVoter(FaultCluster c, long asked, long id) {
        Set<Long> voters = c.voters(asked);
        return voters == null ? null : voters.contains(id);
    }

    /**
     * Each round one of the given nemeses: all of them in a random order, then again in another, so
     * that every one runs at least once ({@link #minRounds()}) and none is left out of a long run.
     */
    static Nemesis mixed(List<Nemesis> choices) {
        List<Nemesis> order = new ArrayList<>();
        int[] round = {0};
        return new Nemesis() {
            @Override
            public String name() {
                return "mixed";
            }

            @Override
            public int minRounds() {
                return choices.size();
            }

            @Override
            public int round(FaultCluster c, Random rnd) throws Exception {
                if (order.isEmpty()) {
                    order.addAll(choices);
                    Collections.shuffle(order, rnd);
                }
                Nemesis next = order.remove(0);
                System.out.println("mixed round " + ++round[0] + ": " + next.name());
                return next.round(c, rnd);
            }
        };
    }

    interface Round {
        int run(FaultCluster c, Random rnd) throws Exception;
    }

    static Nemesis named(String name, Round round) {
        return new Nemesis() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public int round(FaultCluster c, Random rnd) throws Exception {
                return round.run(c, rnd);
            }
        };
    }
}
