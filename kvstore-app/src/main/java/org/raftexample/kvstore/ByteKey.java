package org.raftexample.kvstore;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A key of the map as its bytes (the UTF-8 of the request path), with its hash computed once. Holding
 * bytes instead of a {@code String} keeps a key at its encoded size; the array is never changed once
 * the key is built, so keys may be shared between threads freely.
 */
final class ByteKey {
    private final byte[] bytes;
    private final int hash;

    /** Takes ownership of {@code bytes}: the caller must not change the array afterwards. */
    ByteKey(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    static ByteKey of(String key) {
        return new ByteKey(key.getBytes(StandardCharsets.UTF_8));
    }

    /** The key's bytes; callers must not change them. */
    byte[] bytes() {
        return bytes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteKey k && k.hash == hash && Arrays.equals(k.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
