package io.rotor.plugins.k2think.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rotor.transport.http.internal.OkHttpUpstreamClient;
import io.rotor.transport.http.internal.UpstreamClientConfiguration;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.Annotation;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;

/** The real upstream HTTP client, a clock the tests move, and JWTs with a chosen expiry. */
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

    /** An unsigned JWT whose {@code exp} is {@code expiry}: the adapter only reads it. */
    static String jwt(Instant expiry) {
        Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
        String header = encoder.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String claims = encoder.encodeToString(("{\"id\":\"u-1\",\"exp\":" + expiry.getEpochSecond() + "}")
                .getBytes(StandardCharsets.UTF_8));
        return header + "." + claims + ".c2lnbmF0dXJl";
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
