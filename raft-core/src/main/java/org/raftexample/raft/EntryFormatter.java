package org.raftexample.raft;

import com.google.protobuf.ByteString;

/**
 * Turns the data of a normal entry into readable text for the {@code Util.describe*} functions;
 * passing null selects the default, Go's {@code %q} of the bytes.
 */
@FunctionalInterface
public interface EntryFormatter {
    /**
     * Renders an entry's payload for a description.
     *
     * @param data the payload, possibly empty
     * @return its text
     */
    String format(ByteString data);
}
