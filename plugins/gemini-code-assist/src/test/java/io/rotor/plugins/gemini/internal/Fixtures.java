package io.rotor.plugins.gemini.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rotor.transport.http.internal.OkHttpUpstreamClient;
import io.rotor.transport.http.internal.UpstreamClientConfiguration;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.Annotation;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

/** The real upstream HTTP client and a clock the tests move. */
final class Fixtures {

    static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    static OkHttpUpstreamClient http() {
        return new OkHttpUpstreamClient(new UpstreamClientConfiguration() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return UpstreamClientConfiguration.class;
            }

            @Override
            public long upstream_connectTimeoutMs() {
                return 5_000;
            }

            @Override
            public long upstream_readTimeoutMs() {
                return 10_000;
            }

            @Override
            public long upstream_spinMicros() {
                return 200;
            }
        });
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A clock that stands still until a test moves it. */
    static final class MovableClock extends Clock {

        private volatile Instant now;

        MovableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
