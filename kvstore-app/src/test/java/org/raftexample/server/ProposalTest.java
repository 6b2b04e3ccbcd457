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
}
