package org.raftexample.raft;

import com.google.protobuf.ByteString;

/** Why a node starts an election; the transfer kind travels in the vote request's context. */
enum CampaignType {
    /** First phase of an election when pre-vote is enabled. */
    campaignPreElection("CampaignPreElection"),
    /** A regular, timeout-driven election (or the second phase after a won pre-vote). */
    campaignElection("CampaignElection"),
    /** An election forced by a leadership transfer; it bypasses the receivers' leader lease. */
    campaignTransfer("CampaignTransfer");

    private final String text;
    private final ByteString bytes;

    CampaignType(String text) {
        this.text = text;
        this.bytes = ByteString.copyFromUtf8(text);
    }

    /** The bytes put in a vote request's context to mark this kind of campaign. */
    ByteString asContext() {
        return bytes;
    }

    @Override
    public String toString() {
        return text;
    }
}
