package org.raftexample.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/**
 * The one codec of a JSON object whose values are all strings, streamed: the legacy snapshot format
 * (raftexample's {@code json.Marshal} of its map, where {@code null} is an empty map) and
 * {@code peers.json}. Public because the key-value application reads the legacy snapshot format with
 * it; not a stable part of the library. Stateless; any thread.
 */
public final class JsonStringMap {
    private static final JsonFactory JSON = new JsonFactory();

    private JsonStringMap() {}

    /** Receives each key and value in the order they appear. */
    public interface Sink {
        /**
         * Takes one pair.
         *
         * @param key the key
         * @param value its value
         * @throws IOException to stop the read
         */
        void accept(String key, String value) throws IOException;
    }

    /** The input is not a JSON object of strings (or {@code null}) and nothing else. */
    public static final class MalformedException extends IOException {
        private static final long serialVersionUID = 1L;

        MalformedException(String message) {
            super(message);
        }

        MalformedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Reads {@code null} or one object of string values, and nothing after it. Does not close {@code in}.
     *
     * @param in the JSON text
     * @param sink takes each pair
     * @return how many pairs it handed to the sink
     * @throws IOException when {@code in} fails, or {@link MalformedException} when it is not such an object
     */
    public static long read(InputStream in, Sink sink) throws IOException {
        long n = 0;
        try (JsonParser p = JSON.createParser(in)) {
            JsonToken t = p.nextToken();
            if (t == JsonToken.VALUE_NULL) {
                t = p.nextToken();
            } else if (t == JsonToken.START_OBJECT) {
                while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    if (p.nextToken() != JsonToken.VALUE_STRING) {
                        throw new MalformedException("value of " + key + " is not a string");
                    }
                    sink.accept(key, p.getText());
                    n++;
                }
                if (t != JsonToken.END_OBJECT) {
                    throw new MalformedException("unterminated JSON object");
                }
                t = p.nextToken();
            } else {
                throw new MalformedException("not a JSON object");
            }
            if (t != null) {
                throw new MalformedException("trailing data after the JSON object");
            }
        } catch (JsonProcessingException e) {
            throw new MalformedException("malformed JSON", e);
        }
        return n;
    }

    /**
     * Writes the map as one JSON object, in the map's order. Does not close {@code out}.
     *
     * @param map the pairs
     * @param out where the JSON goes
     * @throws IOException when {@code out} fails
     */
    public static void write(Map<String, String> map, OutputStream out) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.writeStartObject();
            for (Map.Entry<String, String> e : map.entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
        }
    }
}
