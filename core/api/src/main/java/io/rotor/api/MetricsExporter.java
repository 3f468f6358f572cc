package io.rotor.api;

import org.osgi.annotation.versioning.ProviderType;

/** The gateway's metrics in the Prometheus text format, for {@code GET /metrics}. */
@ProviderType
public interface MetricsExporter {

    /** The media type of {@link #scrape()}. */
    String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /** Returns every metric now. No label ever holds a secret or a user key. */
    String scrape();
}
