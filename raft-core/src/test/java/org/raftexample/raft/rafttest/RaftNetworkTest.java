package org.raftexample.raft.rafttest;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.Message;

/** The in-memory test network drops and delays messages at the configured rates (network_test.go). */
class RaftNetworkTest {

    @Test
    @Timeout(10)
    void dropsAboutTheConfiguredShareOfMessages() {
        int sent = 1000;
        double dropRate = 0.1;
        RaftNetwork nt = new RaftNetwork(1, 2);
        nt.drop(1, 2, dropRate);
        for (int i = 0; i < sent; i++) {
            nt.send(Message.newBuilder().setFrom(1).setTo(2).build());
        }
        BlockingQueue<Message> c = nt.recvFrom(2);
        int received = 0;
        while (c.poll() != null) {
            received++;
        }
        int dropped = sent - received;
        assertTrue(dropped <= (int) ((dropRate + 0.1) * sent), "dropped " + dropped);
        assertTrue(dropped >= (int) ((dropRate - 0.1) * sent), "dropped " + dropped);
    }

    @Test
    @Timeout(10)
    void delaysTheSenderAtTheConfiguredRate() {
        int sent = 1000;
        long delay = TimeUnit.MILLISECONDS.toNanos(1);
        double delayRate = 0.1;
        RaftNetwork nt = new RaftNetwork(1, 2);
        nt.delay(1, 2, delay, delayRate);
        long total = 0;
        for (int i = 0; i < sent; i++) {
            long start = System.nanoTime();
            nt.send(Message.newBuilder().setFrom(1).setTo(2).build());
            total += System.nanoTime() - start;
        }
        long want = (long) (sent * delayRate / 2) * delay;
        assertTrue(total >= want, "total delay " + total + "ns, want at least " + want + "ns");
    }

    @Test
    @Timeout(10)
    void disconnectedNodeNeitherReceivesNorHasAnInbox() {
        RaftNetwork nt = new RaftNetwork(1, 2);
        nt.disconnect(2);
        nt.send(Message.newBuilder().setFrom(1).setTo(2).build());
        assertTrue(nt.recvFrom(2) == null);
        nt.connect(2);
        assertTrue(nt.recvFrom(2).isEmpty());
    }
}
