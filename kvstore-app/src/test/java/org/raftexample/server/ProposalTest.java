package org.raftexample.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

class ProposalTest {

    @Test
    void aFramedCommandDecodesToItsProposerRequestAndBytes() {
        ByteString cmd = ByteString.copyFrom(new byte[] {0, 1, 2, (byte) 0xff});
        Proposal p = Proposal.decode(Proposal.encode(3, Long.MIN_VALUE | 77, cmd));
        assertEquals(3, p.proposer());
        assertEquals(Long.MIN_VALUE | 77, p.requestId(), "request ids are unsigned 64-bit");
        assertEquals(cmd, p.command());
        assertEquals(
                ByteString.EMPTY,
                Proposal.decode(Proposal.encode(1, 1, ByteString.EMPTY)).command());
    }

    @Test
    void dataWithoutTheHeaderIsACommandOfNobody() {
        ByteString legacy = ByteString.copyFromUtf8("\n\u0001k\u0012\u0001v"); // a protobuf record: tag 1
        Proposal p = Proposal.decode(legacy);
        assertEquals(0, p.proposer());
        assertEquals(0, p.requestId());
        assertEquals(legacy, p.command());
        assertEquals(
                ByteString.copyFrom(new byte[] {0}),
                Proposal.decode(ByteString.copyFrom(new byte[] {0})).command());
    }

    @Test
    void aDamagedOrUnknownHeaderDoesNotDecode() {
        assertNull(Proposal.decode(ByteString.copyFrom(new byte[] {0, 2, 1, 1})), "unknown version");
        assertNull(Proposal.decode(ByteString.copyFrom(new byte[] {0, 1, (byte) 0x80})), "torn varint");
        assertNull(Proposal.decode(ByteString.copyFrom(new byte[] {0, 1, 5})), "no request id");
    }

    @Test
    void everyIdRoundTripsFromARopeAndFromFlatBytesAlike() {
        // On the proposing node an entry's data is a rope (header, command); elsewhere it is flat bytes
        // read off the WAL or the wire. Both decode the same, for ids of every varint length.
        ByteString cmd = ByteString.copyFrom(new byte[300]); // longer than protobuf joins by copying
        java.util.Random rnd = new java.util.Random(42);
        java.util.List<Long> ids = new java.util.ArrayList<>(
                java.util.List.of(0L, 1L, 127L, 128L, 16_383L, 16_384L, Long.MAX_VALUE, Long.MIN_VALUE, -1L));
        for (int i = 0; i < 200; i++) {
            ids.add(rnd.nextLong() >>> rnd.nextInt(64));
        }
        for (long proposer : ids.subList(0, 9)) {
            for (long id : ids) {
                ByteString rope = Proposal.encode(proposer, id, cmd);
                for (ByteString data : java.util.List.of(rope, ByteString.copyFrom(rope.toByteArray()))) {
                    Proposal p = Proposal.decode(data);
                    assertEquals(proposer, p.proposer());
                    assertEquals(id, p.requestId());
                    assertEquals(cmd, p.command());
                }
            }
        }
    }

    @Test
    void aVarintLongerThanProtobufReadsDoesNotDecode() {
        byte[] eleven = new byte[2 + 11 + 1];
        eleven[1] = 1;
        java.util.Arrays.fill(eleven, 2, 12, (byte) 0x80);
        eleven[12] = 1; // the 11th byte of the proposer's varint
        assertNull(Proposal.decode(ByteString.copyFrom(eleven)));
        // Ten bytes whose last carries bits past 64, which protobuf drops.
        Proposal p = Proposal.decode(ByteString.copyFrom(new byte[] {
            0,
            1,
            (byte) 0xff,
            (byte) 0xff,
            (byte) 0xff,
            (byte) 0xff,
            (byte) 0xff,
            (byte) 0xff,
            (byte) 0xff,
            (byte) 0xff,
            (byte) 0xff,
            0x7f,
            5,
            9
        }));
        assertEquals(-1L, p.proposer(), "bits past 64 dropped, as CodedInputStream drops them");
        assertEquals(5, p.requestId());
        assertEquals(ByteString.copyFrom(new byte[] {9}), p.command());
    }
}
