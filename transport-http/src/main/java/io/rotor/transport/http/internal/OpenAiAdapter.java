package io.rotor.transport.http.internal;

import io.rotor.api.Account;
import io.rotor.api.Endpoint;
import io.rotor.api.HttpCall;
import io.rotor.api.UpstreamAdapter;
import io.rotor.api.UpstreamCall;
import io.rotor.api.UpstreamHttp;
import io.rotor.api.UpstreamResponse;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Speaks to any OpenAI-compatible API with a bearer key: the client's body goes upstream as it
 * came, and the upstream's answer comes back untouched.
 */
@Component(service = UpstreamAdapter.class, property = UpstreamAdapter.TYPE + "=openai")
public final class OpenAiAdapter implements UpstreamAdapter {

    private static final String JSON = "application/json";
    private static final String EVENT_STREAM = "text/event-stream";

    /** Bounds the URI cache, should base URLs keep changing (each configuration change adds some). */
    private static final int MAX_CACHED_URIS = 1_024;

    private final UpstreamHttp http;
    private final Map<Target, URI> uris = new ConcurrentHashMap<>();

    @Activate
    public OpenAiAdapter(@Reference UpstreamHttp http) {
        this.http = http;
    }

    @Override
    public UpstreamResponse send(UpstreamCall call) throws IOException {
        Map<String, List<String>> headers = authorization(call);
        if (call.stream()) {
            headers.put("Accept", List.of(EVENT_STREAM));
        }
        URI uri = uri(call, call.endpoint());
        HttpCall upstreamRequest = call.endpoint() == Endpoint.MODELS
                ? new HttpCall("GET", uri, headers, null, null)
                : new HttpCall("POST", uri, headers, call.body(), JSON);
        return http.execute(upstreamRequest);
    }

    @Override
    public String validate(UpstreamCall call) throws IOException {
        HttpCall upstreamRequest = new HttpCall("GET", uri(call, Endpoint.MODELS), authorization(call), null, null);
        try (UpstreamResponse upstreamResponse = http.execute(upstreamRequest)) {
            int status = upstreamResponse.status();
            if (status >= 200 && status < 300) {
                return null;
            }
            if (status == 401 || status == 403) {
                return "credential rejected by upstream (HTTP " + status + ")";
            }
            // The body is not quoted: some upstreams echo the offending key back.
            throw new IOException("upstream " + call.upstream().name() + " answered HTTP " + status
                    + " to GET " + Endpoint.MODELS.path());
        }
    }

    private static Map<String, List<String>> authorization(UpstreamCall call) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        String apiKey = call.secrets().get(Account.SECRET_API_KEY);
        // Local OpenAI-compatible servers often need no key; an empty one would only be rejected.
        if (apiKey != null && !apiKey.isBlank()) {
            headers.put("Authorization", List.of("Bearer " + apiKey));
        }
        return headers;
    }

    private URI uri(UpstreamCall call, Endpoint endpoint) throws IOException {
        String baseUrl = call.upstream().baseUrl();
        if (baseUrl == null || baseUrl.isBlank()) {
            throw new IOException("upstream " + call.upstream().name() + " declares no baseUrl");
        }
        Target target = new Target(baseUrl, endpoint);
        URI uri = uris.get(target);
        if (uri == null) {
            String base = baseUrl.strip();
            while (base.endsWith("/")) {
                base = base.substring(0, base.length() - 1);
            }
            try {
                uri = URI.create(base + endpoint.path());
            } catch (IllegalArgumentException e) {
                throw new IOException("upstream " + call.upstream().name() + " has a malformed baseUrl", e);
            }
            if (uris.size() >= MAX_CACHED_URIS) {
                uris.clear();
            }
            uris.put(target, uri);
        }
        return uri;
    }

    /** An upstream's base URL and an endpoint: a few per upstream, so each URI is parsed once. */
    private record Target(String baseUrl, Endpoint endpoint) {
    }
}
