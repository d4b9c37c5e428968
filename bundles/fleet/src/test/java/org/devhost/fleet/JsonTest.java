package org.devhost.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** A command's result as JSON, and a host application's STATE read from JSON. */
class JsonTest {
    @Test
    void resultsAreEscapedAndNullsLeftOut() {
        assertEquals("{\"a\":\"x \\\"q\\\" \\\\ \\n\",\"c\":\"\\u0001\"}",
                Json.object(Json.fields("a", "x \"q\" \\ \n", "b", null, "c", "\u0001")));
    }

    @Test
    void stateNeedsBothTheFlagAndTheTimestamp() {
        assertEquals(new Json.State(true, 1668114759262L), Json.state("{\"online\" : true, \"timestamp\":1668114759262}"));
        assertEquals(new Json.State(false, 5), Json.state("{\"timestamp\":5,\"online\":false}"));
        assertNull(Json.state("{\"online\":true}"));
        assertNull(Json.state("ONLINE"), "Sparkplug 2.2's plain text STATE");
    }

    @Test
    void aResultIsReadBackAsWritten() {
        String json = Json.object(Json.fields("request", "r \"1\"", "result", "EACCES", "message", "a\\b\nc \u0001"));
        assertEquals(Json.fields("request", "r \"1\"", "result", "EACCES", "message", "a\\b\nc \u0001"), Json.flat(json));
        assertEquals(Json.fields("online", "true", "n", "5"), Json.flat(" { \"online\" : true , \"n\":5 } "));
        assertNull(Json.flat("[1]"));
        assertNull(Json.flat("{\"a\":\"open"));
        assertNull(Json.flat("{\"a\" \"b\"}"));
    }

    @Test
    void theHostApplicationsStateIsWhatTheEdgeNodeReads() {
        assertEquals(new Json.State(false, 42), Json.state(Json.state(false, 42)));
        assertEquals("{\"online\":true,\"timestamp\":42}", Json.state(true, 42));
    }
}
