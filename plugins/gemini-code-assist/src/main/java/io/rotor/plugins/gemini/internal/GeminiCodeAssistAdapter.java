package io.rotor.plugins.gemini.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.Account;
import io.rotor.api.HttpCall;
import io.rotor.api.Upstream;
import io.rotor.api.UpstreamAdapter;
import io.rotor.api.UpstreamCall;
import io.rotor.api.UpstreamHttp;
import io.rotor.api.UpstreamResponse;
import io.rotor.plugins.support.BaseUrls;
import io.rotor.plugins.support.OpenAiErrors;
import io.rotor.plugins.support.RetryHints;
import io.rotor.plugins.support.SharedTokens;
import io.rotor.plugins.support.SseReader;
import io.rotor.plugins.support.TranslatingStream;
import io.rotor.plugins.support.UpstreamRefusal;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Serves OpenAI chat requests from Google's Code Assist API (the one behind the Gemini CLI) with the
 * CLI's OAuth credentials: refreshes and caches access tokens per credential, finds (and caches) the
 * credential's Code Assist project, and translates requests and answers, streamed or not, both ways.
 */
@Component(service = UpstreamAdapter.class, property = UpstreamAdapter.TYPE + "=" + GeminiCodeAssistAdapter.TYPE)
public final class GeminiCodeAssistAdapter implements UpstreamAdapter {

    static final String TYPE = "gemini-code-assist";
    static final String DEFAULT_BASE_URL = "https://cloudcode-pa.googleapis.com";
    static final List<String> DEFAULT_MODELS = List.of("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite",
            "gemini-3-pro-preview", "gemini-3-flash-preview");
    /** Google's access tokens live an hour; refresh 5 minutes early so none expires during a request. */
    static final Duration EARLY_REFRESH = Duration.ofMinutes(5);
    /** The Gemini CLI polls onboarding every 5 s; two minutes is far more than it takes. */
    private static final Duration ONBOARD_POLL = Duration.ofSeconds(5);
    private static final int ONBOARD_MAX_POLLS = 24;
    private static final int SIGNATURE_CAPACITY = 10_000;
    private static final String NAME = "Code Assist";
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final System.Logger LOG = System.getLogger(GeminiCodeAssistAdapter.class.getName());

    private final UpstreamHttp http;
    private final Clock clock;
    private final GoogleOAuth oauth;
    private final CodeAssistProjects projects;
    private final SharedTokens<AccessToken> accessTokens;
    private final SharedTokens<String> projectIds = new SharedTokens<>(project -> true);
    /** Credentials whose stored access token Code Assist refused: from now on always refreshed. */
    private final Set<String> storedTokenRefused = ConcurrentHashMap.newKeySet();
    private final ThoughtSignatures signatures = new ThoughtSignatures(SIGNATURE_CAPACITY);

    @Activate
    public GeminiCodeAssistAdapter(@Reference UpstreamHttp http) {
        this(http, Clock.systemUTC(), ONBOARD_POLL);
    }

    GeminiCodeAssistAdapter(UpstreamHttp http, Clock clock, Duration onboardPoll) {
        this.http = http;
        this.clock = clock;
        this.oauth = new GoogleOAuth(http, clock);
        this.projects = new CodeAssistProjects(http, clock, onboardPoll, ONBOARD_MAX_POLLS);
        this.accessTokens = new SharedTokens<>(
                token -> clock.instant().isBefore(token.expiresAt().minus(EARLY_REFRESH)));
    }

    @Override
    public UpstreamResponse send(UpstreamCall call) throws IOException {
        try {
            return switch (call.endpoint()) {
                case CHAT_COMPLETIONS -> chat(call);
                case MODELS -> models(call.upstream());
                default -> OpenAiErrors.response(404, "The gemini-code-assist upstream serves only"
                        + " /v1/chat/completions and /v1/models, not " + call.endpoint().path() + ".", null);
            };
        } catch (UpstreamRefusal refusal) {
            return refusal.toResponse();
        }
    }

    @Override
    public String validate(UpstreamCall call) throws IOException {
        try {
            OAuthCredential credential = OAuthCredential.parse(call.secrets().get(Account.SECRET_CREDENTIAL));
            AccessToken token = oauth.refresh(call.upstream(), credential);
            accessTokens.put(credential.key(), token);
            return null;
        } catch (UpstreamRefusal refusal) {
            if (refusal.invalidCredential()) {
                return refusal.getMessage();
            }
            throw new IOException(refusal.getMessage());
        }
    }

    private UpstreamResponse chat(UpstreamCall call) throws IOException, UpstreamRefusal {
        OAuthCredential credential = OAuthCredential.parse(call.secrets().get(Account.SECRET_CREDENTIAL));
        JsonNode body = OpenAiErrors.parse(call.body());
        if (body == null) {
            throw new UpstreamRefusal(400, "The request body must be a JSON object.");
        }
        String model = call.model() != null ? call.model() : body.path("model").asText("");
        ObjectNode request = requests(call.upstream()).translate(body, model);
        String base = BaseUrls.base(call.upstream(), DEFAULT_BASE_URL);
        String method = call.stream() ? ":streamGenerateContent?alt=sse" : ":generateContent";
        String url = base + CodeAssistProjects.API + method;
        UpstreamResponse upstreamResponse = generate(call.upstream(), call.accountId(), credential, url, model, request,
                call.stream());
        int status = upstreamResponse.status();
        if (status < 200 || status >= 300) {
            return error(upstreamResponse);
        }
        long created = clock.instant().getEpochSecond();
        if (call.stream()) {
            return stream(upstreamResponse, model, created, body.path("stream_options").path("include_usage")
                    .asBoolean(false));
        }
        JsonNode answer;
        try (upstreamResponse) {
            answer = OpenAiErrors.parse(upstreamResponse.body().readAllBytes());
        }
        if (answer == null) {
            throw new UpstreamRefusal(502, "Code Assist's answer is not a JSON object.");
        }
        ObjectNode completion = ChatResponses.completion(answer, model, created, signatures);
        return new UpstreamResponse(200, OpenAiErrors.jsonHeaders(),
                new ByteArrayInputStream(JSON.writeValueAsBytes(completion)), null);
    }

    /**
     * Sends the request with the credential's access token. When Code Assist refuses the token before its
     * time (revoked, or a stale one stored with the credential), refreshes it once and sends again; a
     * second refusal marks the credential invalid.
     */
    private UpstreamResponse generate(Upstream upstream, String accountId, OAuthCredential credential, String url,
            String model, ObjectNode request, boolean stream) throws IOException, UpstreamRefusal {
        AccessToken token = accessToken(upstream, credential);
        try {
            return generate(upstream, accountId, credential, token, url, model, request, stream);
        } catch (UpstreamRefusal refusal) {
            if (refusal.status() != 401) {
                throw refusal;
            }
            forget(credential, token);
            return generate(upstream, accountId, credential, accessToken(upstream, credential), url, model, request,
                    stream);
        }
    }

    /** Finds the project and sends the request; a 401 comes back as a refusal so the caller can refresh. */
    private UpstreamResponse generate(Upstream upstream, String accountId, OAuthCredential credential,
            AccessToken token, String url, String model, ObjectNode request, boolean stream)
            throws IOException, UpstreamRefusal {
        String project = project(upstream, accountId, credential, token);
        ObjectNode payload = JSON.createObjectNode().put("model", model).put("project", project)
                .put("user_prompt_id", UUID.randomUUID().toString());
        payload.set("request", request);
        HttpCall httpCall = new HttpCall("POST", BaseUrls.uri(upstream, url, ""),
                Map.of("Authorization", List.of("Bearer " + token.value()),
                        "Accept", List.of(stream ? "text/event-stream" : "application/json")),
                JSON.writeValueAsBytes(payload), "application/json");
        UpstreamResponse upstreamResponse = http.execute(httpCall);
        if (upstreamResponse.status() == 401) {
            upstreamResponse.close();
            throw new UpstreamRefusal(401, "Code Assist refused the access token (HTTP 401).");
        }
        return upstreamResponse;
    }

    /** The credential's project: its own override, the upstream's, or the one Code Assist names. */
    private String project(Upstream upstream, String accountId, OAuthCredential credential, AccessToken token)
            throws IOException, UpstreamRefusal {
        if (credential.project() != null) {
            return credential.project();
        }
        String configured = BaseUrls.property(upstream, "project", null);
        if (configured != null) {
            return configured;
        }
        String base = BaseUrls.base(upstream, DEFAULT_BASE_URL);
        try {
            return projectIds.get(credential.key(), () -> projects.discover(upstream, base, token));
        } catch (UpstreamRefusal refusal) {
            if (refusal.status() == 403) {
                // The engine only records "HTTP 403"; the operator needs Code Assist's reason to fix it.
                LOG.log(System.Logger.Level.WARNING, "account {0}: {1}", accountId, refusal.getMessage());
            }
            throw refusal;
        }
    }

    private AccessToken accessToken(Upstream upstream, OAuthCredential credential) throws IOException, UpstreamRefusal {
        return accessTokens.get(credential.key(), () -> {
            if (credential.accessToken() != null && credential.expiry() != null
                    && !storedTokenRefused.contains(credential.key())
                    && clock.instant().isBefore(credential.expiry().minus(EARLY_REFRESH))) {
                return new AccessToken(credential.accessToken(), credential.expiry());
            }
            return oauth.refresh(upstream, credential);
        });
    }

    private void forget(OAuthCredential credential, AccessToken refused) {
        if (refused.value().equals(credential.accessToken())) {
            storedTokenRefused.add(credential.key());
        }
        accessTokens.invalidate(credential.key(), refused);
    }

    /** An error from Code Assist in OpenAI's shape; a 429 carries the reset time Google named. */
    private UpstreamResponse error(UpstreamResponse upstreamResponse) throws IOException {
        byte[] raw;
        try (upstreamResponse) {
            raw = OpenAiErrors.readErrorBody(upstreamResponse.body());
        }
        Duration retryAfter = upstreamResponse.status() == 429
                ? RetryHints.of(upstreamResponse, raw, clock.millis()) : null;
        return OpenAiErrors.fromUpstream(upstreamResponse.status(), upstreamResponse.headers(), raw, NAME, retryAfter);
    }

    private UpstreamResponse stream(UpstreamResponse upstreamResponse, String model, long created,
            boolean includeUsage) {
        SseReader events = new SseReader(upstreamResponse.body());
        ChatResponses.StreamTranslator translator = new ChatResponses.StreamTranslator(
                "chatcmpl-" + UUID.randomUUID().toString().replace("-", ""), model, created, includeUsage, signatures);
        TranslatingStream.Producer producer = out -> {
            String data = events.next();
            if (data == null || data.strip().equals("[DONE]")) {
                write(out, translator.end());
                out.write(DONE);
                return false;
            }
            JsonNode event = OpenAiErrors.parse(data.getBytes(StandardCharsets.UTF_8));
            if (event == null) {
                return true;
            }
            if (event.has("error")) {
                // An error inside the stream: pass it on in OpenAI's shape and end without [DONE].
                out.write("data: ".getBytes(StandardCharsets.UTF_8));
                out.write(OpenAiErrors.body(502, NAME + " failed during the stream: "
                        + event.path("error").path("message").asText("unknown error"), null));
                out.write("\n\n".getBytes(StandardCharsets.UTF_8));
                return false;
            }
            write(out, translator.event(event));
            return true;
        };
        return new UpstreamResponse(upstreamResponse.status(), Map.of("Content-Type", List.of("text/event-stream")),
                new TranslatingStream(producer, upstreamResponse), null);
    }

    private static void write(ByteArrayOutputStream out, ArrayNode chunks) throws IOException {
        for (JsonNode chunk : chunks) {
            out.write("data: ".getBytes(StandardCharsets.UTF_8));
            out.write(JSON.writeValueAsBytes(chunk));
            out.write("\n\n".getBytes(StandardCharsets.UTF_8));
        }
    }

    private ChatRequests requests(Upstream upstream) {
        return new ChatRequests(new ImageParts(http, ImageParts.UrlPolicy.parse(
                BaseUrls.property(upstream, "imageUrls", null))), signatures);
    }

    /** The declared models (the Code Assist models unless {@code upstream.NAME.models} names others). */
    private static UpstreamResponse models(Upstream upstream) throws IOException {
        List<String> ids = upstream.models().contains("*") ? DEFAULT_MODELS : upstream.models();
        ObjectNode list = JSON.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        ids.forEach(id -> data.addObject().put("id", id).put("object", "model").put("created", 0)
                .put("owned_by", "google"));
        return new UpstreamResponse(200, OpenAiErrors.jsonHeaders(),
                new ByteArrayInputStream(JSON.writeValueAsBytes(list)), null);
    }
}
