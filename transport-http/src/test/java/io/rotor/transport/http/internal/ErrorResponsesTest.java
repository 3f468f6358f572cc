package io.rotor.transport.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ErrorResponsesTest {

    @Test
    void roundsRetryAfterUpToWholeSeconds() {
        assertEquals(0, ErrorResponses.retryAfterSeconds(0));
        assertEquals(1, ErrorResponses.retryAfterSeconds(1));
        assertEquals(1, ErrorResponses.retryAfterSeconds(1000));
        assertEquals(2, ErrorResponses.retryAfterSeconds(1001));
        assertEquals(2, ErrorResponses.retryAfterSeconds(1200));
    }
}
