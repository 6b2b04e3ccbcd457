package org.raftexample.kvstore;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.HexFormat;
import java.util.Optional;
import org.raftexample.kvstore.proto.KV;

/**
 * What counts as a key-value record in a normal entry: data that decodes as {@link KV} and sets both key and
 * value, as every proposal this application builds does. Anything else (an empty message, foreign bytes that
 * happen to parse as protobuf) is not a write. Stateless; safe from any thread.
 */
final class KVRecords {
    /** How many bytes of an undecodable entry a log line shows. */
    static final int HEX_PREFIX_BYTES = 32;

    private KVRecords() {}

    /** The record {@code data} holds, or empty if it holds none. */
    static Optional<KV> decode(ByteString data) {
        try {
            KV kv = KV.parseFrom(data);
            return kv.hasKey() && kv.hasValue() ? Optional.of(kv) : Optional.empty();
        } catch (InvalidProtocolBufferException e) {
            return Optional.empty();
        }
    }

    /** The first {@value #HEX_PREFIX_BYTES} bytes of {@code data} in hex, with "..." when there are more. */
    static String hexPrefix(ByteString data) {
        int n = Math.min(data.size(), HEX_PREFIX_BYTES);
        String hex = HexFormat.of().formatHex(data.substring(0, n).toByteArray());
        return data.size() > n ? hex + "..." : hex;
    }
}
