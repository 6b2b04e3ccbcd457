package org.raftexample.kvstore;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A key as a hash-map key: a range of bytes (the UTF-8 of the request path), with its hash computed
 * once. It can name a key inside a larger array, such as a {@link CompactMap} entry, without copying
 * it. The bytes must never change once the key is built, so keys may be shared between threads freely.
 */
final class ByteKey {
    private final byte[] bytes;
    private final int offset;
    private final int length;
    private final int hash;

    /** The key held in {@code length} bytes of {@code bytes} at {@code offset}, which must not change. */
    ByteKey(byte[] bytes, int offset, int length) {
        this.bytes = bytes;
        this.offset = offset;
        this.length = length;
        this.hash = CompactMap.hash(bytes, offset, length);
    }

    /** Takes ownership of {@code bytes}: the caller must not change the array afterwards. */
    ByteKey(byte[] bytes) {
        this(bytes, 0, bytes.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteKey k
                && k.hash == hash
                && Arrays.equals(k.bytes, k.offset, k.offset + k.length, bytes, offset, offset + length);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return new String(bytes, offset, length, StandardCharsets.UTF_8);
    }
}
