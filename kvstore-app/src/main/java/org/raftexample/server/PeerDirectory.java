package org.raftexample.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.raftexample.wal.DiskIo;

/**
 * The peer URLs this node learned from configuration changes, kept in {@code peers.json} in the
 * snapshot directory.
 *
 * <p>raft's configuration names members by id only; the URL of a member added at run time travels in
 * its ConfChange entry. Once that entry is compacted into a snapshot, a restarted node would no longer
 * know where the member listens (the original raftexample has this gap). The file is only a hint for
 * the transport: membership itself always comes from raft.
 */
final class PeerDirectory {

    static final String FILE_NAME = "peers.json";

    private final Path file;

    PeerDirectory(Path snapDir) {
        this.file = snapDir.resolve(FILE_NAME);
    }

    /** The saved id to URL map; empty when nothing was saved yet. */
    Map<Long, String> load() throws IOException {
        Map<Long, String> peers = new TreeMap<>(Long::compareUnsigned);
        if (!Files.exists(file)) {
            return peers;
        }
        try (InputStream in = Files.newInputStream(file)) {
            JsonStringMap.read(in, (id, url) -> peers.put(Long.parseUnsignedLong(id), url));
        } catch (JsonStringMap.MalformedException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        } catch (NumberFormatException e) {
            throw new IOException(file + ": bad peer id", e);
        }
        return peers;
    }

    /** Renames an unreadable file to {@code peers.json.broken}; best effort. */
    void setAside() {
        try {
            Files.move(file, file.resolveSibling(FILE_NAME + ".broken"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // Left in place: the next save replaces it.
        }
    }

    /** Replaces the saved map, durably: a crash leaves the old file or the new one, never half of one. */
    void save(Map<Long, String> peers) throws IOException {
        Map<String, String> json = new LinkedHashMap<>();
        peers.forEach((id, url) -> json.put(Long.toUnsignedString(id), url));
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        try (FileChannel ch = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            JsonStringMap.write(json, Channels.newOutputStream(ch));
            ch.force(true);
        }
        DiskIo.durableRename(tmp, file);
    }
}
