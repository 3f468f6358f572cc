package io.rotor.plugins.k2think.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.Account;
import io.rotor.api.HttpCall;
import io.rotor.api.UpstreamAdapter;
import io.rotor.api.UpstreamCall;
import io.rotor.api.UpstreamHttp;
import io.rotor.api.UpstreamResponse;
import io.rotor.plugins.support.BaseUrls;
import io.rotor.plugins.support.OpenAiErrors;
import io.rotor.plugins.support.SharedTokens;
import io.rotor.plugins.support.UpstreamRefusal;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Speaks to the K2 Think web API with an account's email and password: signs in once per account
 * and keeps the session token until it expires, then sends the client's OpenAI-shaped chat request
 * with that token and returns the answer in OpenAI's shape, thinking in {@code reasoning_content}.
 */
@Component(service = UpstreamAdapter.class, property = UpstreamAdapter.TYPE + "=" + K2ThinkAdapter.TYPE)
public final class K2ThinkAdapter implements UpstreamAdapter {

    static final String TYPE = "k2think";
    static final String DEFAULT_BASE_URL = "https://www.k2think.ai";
    static final String CHAT_PATH = "/api/chat/completions";
    static final String MODELS_PATH = "/api/models";
    private static final String NAME = "K2 Think";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final UpstreamHttp http;
    private final Clock clock;
    private final SignIn signIn;
    private final SharedTokens<K2Token> tokens;

    @Activate
    public K2ThinkAdapter(@Reference UpstreamHttp http) {
        this(http, Clock.systemUTC());
    }

    K2ThinkAdapter(UpstreamHttp http, Clock clock) {
        this.http = http;
        this.clock = clock;
        this.signIn = new SignIn(http, clock);
        this.tokens = new SharedTokens<>(token -> clock.instant().isBefore(token.expiresAt()));
    }

    @Override
    public UpstreamResponse send(UpstreamCall call) throws IOException {
        try {
            return switch (call.endpoint()) {
                case CHAT_COMPLETIONS -> chat(call);
                case MODELS -> models(call);
                default -> OpenAiErrors.response(404, "The k2think upstream serves only /v1/chat/completions and"
                        + " /v1/models, not " + call.endpoint().path() + ".", null);
            };
        } catch (UpstreamRefusal refusal) {
            return refusal.toResponse();
        }
    }

    @Override
    public String validate(UpstreamCall call) throws IOException {
        try {
            K2Token token = signIn.signIn(call.upstream(), call.email(), password(call));
            tokens.put(key(call), token);
            return null;
        } catch (UpstreamRefusal refusal) {
            if (refusal.invalidCredential()) {
                return refusal.getMessage();
            }
            throw new IOException(refusal.getMessage());
        }
    }

    private UpstreamResponse chat(UpstreamCall call) throws IOException, UpstreamRefusal {
        Map<String, List<String>> accept = Map.of("Accept",
                List.of(call.stream() ? "text/event-stream" : "application/json"));
        UpstreamResponse upstreamResponse = authorized(call, CHAT_PATH,
                uri -> new HttpCall("POST", uri, accept, call.body(), "application/json"));
        if (upstreamResponse.status() < 200 || upstreamResponse.status() >= 300) {
            return OpenAiErrors.fromUpstream(upstreamResponse, NAME, null);
        }
        return K2ThinkResponses.translate(upstreamResponse, call.model(), clock);
    }

    /**
     * The declared models, as the engine filters requests by them; with {@code models = *} the list
     * comes from K2 Think's own {@code GET /api/models}.
     */
    private UpstreamResponse models(UpstreamCall call) throws IOException, UpstreamRefusal {
        List<String> declared = call.upstream().models();
        ObjectNode list = JSON.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        if (!declared.contains("*")) {
            declared.forEach(id -> data.addObject().put("id", id).put("object", "model").put("created", 0)
                    .put("owned_by", TYPE));
            return json(list);
        }
        UpstreamResponse upstreamResponse = authorized(call, MODELS_PATH,
                uri -> new HttpCall("GET", uri, Map.of("Accept", List.of("application/json")), null, null));
        if (upstreamResponse.status() < 200 || upstreamResponse.status() >= 300) {
            return OpenAiErrors.fromUpstream(upstreamResponse, NAME, null);
        }
        JsonNode models;
        try (upstreamResponse) {
            models = OpenAiErrors.parse(upstreamResponse.body().readAllBytes());
        }
        JsonNode entries = models == null ? null : models.path("data");
        if (entries == null || !entries.isArray()) {
            throw new UpstreamRefusal(502, "K2 Think's model list is not the expected JSON.");
        }
        for (JsonNode model : entries) {
            String id = model.path("id").asText(model.path("name").asText(""));
            if (!id.isEmpty()) {
                data.addObject().put("id", id).put("object", "model").put("created", 0)
                        .put("owned_by", model.path("owned_by").asText(TYPE));
            }
        }
        return json(list);
    }

    /**
     * Sends a request with the account's session token; when K2 Think refuses the token (401/403),
     * signs in once more and sends it again, as the token may have been revoked before its expiry.
     */
    private UpstreamResponse authorized(UpstreamCall call, String path, Function<URI, HttpCall> request)
            throws IOException, UpstreamRefusal {
        URI uri = BaseUrls.uri(call.upstream(), BaseUrls.base(call.upstream(), DEFAULT_BASE_URL), path);
        String key = key(call);
        K2Token token = tokens.get(key, () -> signIn.signIn(call.upstream(), call.email(), password(call)));
        UpstreamResponse upstreamResponse = http.execute(bearer(request.apply(uri), token));
        if (upstreamResponse.status() != 401 && upstreamResponse.status() != 403) {
            return upstreamResponse;
        }
        upstreamResponse.close();
        tokens.invalidate(key, token);
        K2Token fresh = tokens.get(key, () -> signIn.signIn(call.upstream(), call.email(), password(call)));
        return http.execute(bearer(request.apply(uri), fresh));
    }

    private static HttpCall bearer(HttpCall call, K2Token token) {
        Map<String, List<String>> headers = new LinkedHashMap<>(call.headers());
        headers.put("Authorization", List.of("Bearer " + token.value()));
        return new HttpCall(call.method(), call.uri(), headers, call.body(), call.contentType());
    }

    private static UpstreamResponse json(JsonNode body) throws IOException {
        return new UpstreamResponse(200, OpenAiErrors.jsonHeaders(),
                new ByteArrayInputStream(JSON.writeValueAsBytes(body)), null);
    }

    private static String password(UpstreamCall call) {
        return call.secrets().get(Account.SECRET_PASSWORD);
    }

    /** One cache entry per account and credential: a changed password never reuses the old session. */
    private static String key(UpstreamCall call) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(String.valueOf(call.email()).getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(String.valueOf(password(call)).getBytes(StandardCharsets.UTF_8));
            return call.accountId() + ":" + HexFormat.of().formatHex(sha.digest(), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
