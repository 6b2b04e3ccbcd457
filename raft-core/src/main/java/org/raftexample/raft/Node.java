package org.raftexample.raft;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Message;

/**
 * A raft peer driven by its own loop thread, for applications that want raft to run concurrently
 * with their storage and network code (etcd's {@code raft.Node}).
 *
 * <p>All methods are thread-safe. Calls that wait for the loop return a {@link CompletableFuture}
 * (etcd's {@code ctx}: time it out with {@link #await}, or cancel it to withdraw a request the loop
 * has not yet taken) or block only until the loop answers, which it does promptly. After
 * {@link #stop()} every call except {@code stop()} throws {@link NodeStoppedException}; if the
 * loop died of a {@link RaftPanicException}, that exception is the cause.
 *
 * <p>The application drives a node with one thread: wait for {@link #ready(long, TimeUnit)} with
 * the time left until the next tick, call {@link #tick()} when the timer fires, and handle each
 * {@link Ready} in order - persist its hard state, entries and snapshot, send its messages, apply
 * its committed entries - then call {@link #advance()}. No further Ready is handed out until then.
 * See docs/node.md.
 */
public interface Node {

    /**
     * Starts a node for a new cluster: the peers become the initial configuration, as committed
     * ConfChangeAddNode entries at indexes 1..n (etcd's StartNode). Use {@link #restart} when the
     * storage already holds state.
     *
     * @param config the configuration; its storage must be empty
     * @param peers the initial members (at least one)
     * @return the running node
     * @throws IllegalArgumentException if peers is empty or the config is invalid
     */
    static Node start(Config config, List<Peer> peers) {
        return NodeLoop.start(config, peers);
    }

    /**
     * Starts a node whose membership and log are restored from {@code config}'s storage (etcd's
     * RestartNode).
     *
     * @param config the configuration whose storage holds the node's state
     * @return the running node
     */
    static Node restart(Config config) {
        return NodeLoop.restart(config);
    }

    /**
     * Advances the logical clock by one tick; never blocks. Ticks are buffered while the loop is
     * busy; once the buffer is full further ticks are dropped with a warning, as etcd does.
     */
    void tick();

    /**
     * Makes this node campaign to become leader; completes once the loop has stepped the request.
     *
     * @return completes when the loop has stepped the campaign
     */
    CompletableFuture<Void> campaign();

    /**
     * Proposes that data be appended to the log. The future completes once raft has accepted the
     * proposal (which does not mean it will commit: proposals can be lost, the application
     * retries), or fails with {@link ProposalDroppedException}. While no leader is known the
     * proposal waits in a bounded queue; if that queue is full the future fails at once with
     * {@link ProposalDroppedException}.
     *
     * @param data the entry's payload
     * @return completes when raft has accepted the proposal
     */
    CompletableFuture<Void> propose(byte[] data);

    /**
     * Same as {@link #propose(byte[])} for data already in a ByteString.
     *
     * @param data the entry's payload
     * @return completes when raft has accepted the proposal
     */
    CompletableFuture<Void> propose(ByteString data);

    /**
     * Proposes a configuration change. Like any proposal it can be dropped, in particular while an
     * earlier configuration change is not yet applied. Completion has the same meaning as for
     * {@link #propose(byte[])}. Null (cast to either type) proposes leaving a joint
     * configuration, as a nil ConfChangeI does in etcd.
     *
     * @param cc the change
     * @return completes when raft has accepted the proposal
     */
    CompletableFuture<Void> proposeConfChange(ConfChange cc);

    /**
     * Proposes a configuration change in the V2 (joint consensus capable) form; null proposes
     * leaving a joint configuration (an entry without data, whose size never counts against the
     * uncommitted-size limit), as in etcd.
     *
     * @param cc the change, or null to leave a joint configuration
     * @return completes when raft has accepted the proposal
     */
    CompletableFuture<Void> proposeConfChange(ConfChangeV2 cc);

    /**
     * Hands a message received from a peer to the loop; never blocks. Returns false when the
     * node's inbound queue is full: the transport drops the message and raft's own retries recover
     * it. Proposals forwarded by followers (MsgProp) go to the proposal queue instead, under the
     * same rule.
     *
     * @param m the message, from a peer
     * @return false if the message was dropped
     * @throws StepLocalMsgException if the message is of a type only raft itself may create
     */
    boolean step(Message m);

    /**
     * The next Ready. The future completes once raft has work for the application and the previous
     * Ready has been advanced; it reflects every message stepped and every request (campaign, read
     * index, ...) made before asking, and every proposal whose future had completed.
     * Calling this again before it completes returns the same future. Once completed, the Ready is
     * the application's to handle and must be followed by {@link #advance()} (unless the config
     * enables async storage writes). Cancelling the future withdraws the request without losing
     * anything: a Ready being handed out at that moment goes to the next caller instead. Dependent
     * actions attached without an executor run on the loop thread and must not block.
     *
     * @return completes with the next Ready
     */
    CompletableFuture<Ready> ready();

    /**
     * Waits up to the timeout for the next Ready; returns null if none came in time. Nothing is
     * lost on timeout: the future this call gave up on is what the next {@code ready} call
     * returns, with the Ready in it if one arrived meanwhile.
     *
     * @param timeout how long to wait
     * @param unit the unit of timeout
     * @return the next Ready, or null on timeout
     * @throws InterruptedException if the calling thread is interrupted while it waits
     * @throws NodeStoppedException if the node stopped (before or while waiting)
     */
    Ready ready(long timeout, TimeUnit unit) throws InterruptedException;

    /**
     * Tells the loop that the application has persisted and applied the last Ready, so the next
     * one can be prepared. Never blocks; requests the caller makes afterwards are seen by the loop
     * after the advance.
     */
    void advance();

    /**
     * Applies a configuration change found in a committed entry and returns the resulting
     * configuration, which snapshots must record. Must be called for every committed conf change
     * the application accepts, and never for one it rejects.
     *
     * @param cc the committed change
     * @return the configuration after the change
     */
    ConfState applyConfChange(ConfChange cc);

    /**
     * Same as {@link #applyConfChange(ConfChange)} for the V2 form.
     *
     * @param cc the committed change
     * @return the configuration after the change
     */
    ConfState applyConfChange(ConfChangeV2 cc);

    /**
     * Asks the leader {@code lead} to hand leadership to {@code transferee}.
     *
     * @param lead the current leader
     * @param transferee the member that should lead
     * @return completes when the loop has stepped the request
     */
    CompletableFuture<Void> transferLeadership(long lead, long transferee);

    /**
     * Makes a follower forget its leader (it stays a follower in the same term), so that with
     * PreVote and CheckQuorum a new leader can be elected without waiting for an election timeout.
     *
     * @return completes when the loop has stepped the request
     */
    CompletableFuture<Void> forgetLeader();

    /**
     * Requests a read index: a later Ready carries a ReadState with the same context, whose index
     * the application must have applied before serving the read. Like proposals, requests can be
     * lost; the application retries.
     *
     * @param rctx the request's context, unique per read
     * @return completes when the loop has stepped the request
     */
    CompletableFuture<Void> readIndex(byte[] rctx);

    /**
     * A snapshot of raft's status, taken by the loop.
     *
     * @return the status
     */
    Status status();

    /**
     * Reports that the last send to the given peer failed.
     *
     * @param id the peer
     */
    void reportUnreachable(long id);

    /**
     * Reports whether a snapshot sent to the given peer arrived. A failure must be reported, or
     * the leader never resumes replicating to that follower.
     *
     * @param id the peer
     * @param status whether the snapshot arrived
     */
    void reportSnapshot(long id, SnapshotStatus status);

    /**
     * Stops the loop and returns once it has exited; requests still waiting fail with
     * {@link NodeStoppedException}. Idempotent.
     */
    void stop();

    /**
     * Why the loop died, if it died of an exception rather than by {@link #stop()}; else null.
     *
     * @return the failure, or null
     */
    Throwable failure();

    /**
     * Waits for a future returned by a node, as Go callers wait with a context: on timeout the
     * future is cancelled (so a request the loop has not taken yet is withdrawn) and
     * TimeoutException is thrown; a failure is rethrown as the unchecked exception it is.
     *
     * @param <T> the future's result type
     * @param future a future returned by this node
     * @param timeout how long to wait
     * @return the future's result
     * @throws InterruptedException if the calling thread is interrupted while it waits
     * @throws TimeoutException if the future did not complete in time (it is then cancelled)
     */
    static <T> T await(CompletableFuture<T> future, Duration timeout) throws InterruptedException, TimeoutException {
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);
            throw e;
        } catch (CancellationException e) {
            throw e;
        } catch (ExecutionException e) {
            throw NodeLoop.unchecked(e.getCause());
        }
    }
}
