package org.raftexample.kvstore;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;

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
    private static final JsonFactory JSON = new JsonFactory();

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
        try (JsonParser p = JSON.createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException(file + ": not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                long id = Long.parseUnsignedLong(p.currentName());
                if (p.nextToken() != JsonToken.VALUE_STRING) {
                    throw new IOException(file + ": URL of peer " + id + " is not a string");
                }
                peers.put(id, p.getText());
            }
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
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp);
                JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            for (Map.Entry<Long, String> e : peers.entrySet()) {
                g.writeStringField(Long.toUnsignedString(e.getKey()), e.getValue());
            }
            g.writeEndObject();
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }
}
