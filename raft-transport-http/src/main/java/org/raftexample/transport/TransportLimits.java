package org.raftexample.transport;

/**
 * Sizes that bound what the transport buffers and accepts.
 *
 * @param maxMessageBytes   largest encoded message accepted on the pipeline or a stream (larger: 413 / stream reset)
 * @param maxSnapshotBytes  largest snapshot data accepted on {@code /raft/snapshot} (larger: 413); an application
 *                          that streams snapshots to disk ({@link RaftReceiver#processSnapshot}) lifts it with
 *                          {@code Long.MAX_VALUE} and refuses by free disk space instead
 *                          ({@link InsufficientStorageException}); the default suits the in-memory default
 * @param streamBufferSize  messages queued per stream before new ones are dropped (etcd: 4096)
 * @param pipelineBufferSize messages queued for the pipeline before new ones are dropped (etcd: 64)
 * @param pipelineSenders   concurrent pipeline requests per peer (etcd: 4)
 */
public record TransportLimits(
        int maxMessageBytes, long maxSnapshotBytes, int streamBufferSize, int pipelineBufferSize, int pipelineSenders) {

    /**
     * Checks that every limit is positive.
     *
     * @param maxMessageBytes largest encoded message accepted on the pipeline or a stream (larger: 413 / stream reset)
     * @param maxSnapshotBytes largest snapshot data accepted on {@code /raft/snapshot} (larger: 413)
     * @param streamBufferSize messages queued per stream before new ones are dropped (etcd: 4096)
     * @param pipelineBufferSize messages queued for the pipeline before new ones are dropped (etcd: 64)
     * @param pipelineSenders concurrent pipeline requests per peer (etcd: 4)
     */
    public TransportLimits {
        if (maxMessageBytes <= 0
                || maxSnapshotBytes <= 0
                || streamBufferSize <= 0
                || pipelineBufferSize <= 0
                || pipelineSenders <= 0) {
            throw new IllegalArgumentException("transport limits must be positive: " + this);
        }
    }

    /**
     * 8 MiB messages, 512 MiB snapshots (what {@link RaftReceiver#processSnapshot}'s default, which holds the data
     * in memory, can reasonably take), etcd's buffer sizes and sender count.
     *
     * @return the default limits
     */
    public static TransportLimits defaults() {
        return new TransportLimits(8 << 20, 512L << 20, 4096, 64, 4);
    }

    /**
     * The same limits with another message size limit.
     *
     * @param bytes the limit
     * @return the new limits
     */
    public TransportLimits withMaxMessageBytes(int bytes) {
        return new TransportLimits(bytes, maxSnapshotBytes, streamBufferSize, pipelineBufferSize, pipelineSenders);
    }

    /**
     * The same limits with another snapshot size limit.
     *
     * @param bytes the limit
     * @return the new limits
     */
    public TransportLimits withMaxSnapshotBytes(long bytes) {
        return new TransportLimits(maxMessageBytes, bytes, streamBufferSize, pipelineBufferSize, pipelineSenders);
    }

    /**
     * The same limits with another stream buffer size.
     *
     * @param size the number of messages
     * @return the new limits
     */
    public TransportLimits withStreamBufferSize(int size) {
        return new TransportLimits(maxMessageBytes, maxSnapshotBytes, size, pipelineBufferSize, pipelineSenders);
    }

    /**
     * The same limits with another pipeline buffer size.
     *
     * @param size the number of messages
     * @return the new limits
     */
    public TransportLimits withPipelineBufferSize(int size) {
        return new TransportLimits(maxMessageBytes, maxSnapshotBytes, streamBufferSize, size, pipelineSenders);
    }
}
