package org.raftexample.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonStringMapTest {

    private static Map<String, String> read(String json) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        long n = JsonStringMap.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), out::put);
        assertEquals(out.size(), n);
        return out;
    }

    @Test
    void whatIsWrittenReadsBackInOrder() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("b", "two \"quoted\"\n");
        m.put("a", "één");
        m.put("", "");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonStringMap.write(m, out);
        assertEquals(m, read(out.toString(StandardCharsets.UTF_8)));
    }

    @Test
    void nullIsAnEmptyMapAsGoMarshalsANilMap() throws IOException {
        assertEquals(Map.of(), read("null"));
    }

    @Test
    void anythingButAnObjectOfStringsIsRefusedWithTheReason() {
        assertEquals("value of a is not a string", refusal("{\"a\": 1}"));
        assertEquals("malformed JSON", refusal("{\"a\": \"1\""));
        assertEquals("malformed JSON", refusal("{\"a\": \"1\"} x"));
        assertEquals("not a JSON object", refusal("[\"a\"]"));
        assertEquals("trailing data after the JSON object", refusal("{\"a\": \"1\"}{}"));
    }

    private static String refusal(String json) {
        return assertThrows(JsonStringMap.MalformedException.class, () -> read(json))
                .getMessage();
    }
}
