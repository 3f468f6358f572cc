package io.rotor.plugins.gemini.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rotor.api.HttpCall;
import io.rotor.api.Upstream;
import io.rotor.api.UpstreamHttp;
import io.rotor.api.UpstreamResponse;
import io.rotor.plugins.support.BaseUrls;
import io.rotor.plugins.support.OpenAiErrors;
import io.rotor.plugins.support.RetryHints;
import io.rotor.plugins.support.UpstreamRefusal;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Finds the Code Assist project a credential works in, as the Gemini CLI does: {@code loadCodeAssist}
 * names it for a user who is set up; otherwise {@code onboardUser} sets the user up on the default tier
 * (a long-running operation, polled until done) and names the project it created.
 */
final class CodeAssistProjects {

    static final String API = "/v1internal";
    private static final int MAX_BODY_BYTES = 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final UpstreamHttp http;
    private final Clock clock;
    private final Duration pollInterval;
    private final int maxPolls;

    CodeAssistProjects(UpstreamHttp http, Clock clock, Duration pollInterval, int maxPolls) {
        this.http = http;
        this.clock = clock;
        this.pollInterval = pollInterval;
        this.maxPolls = maxPolls;
    }

    /**
     * Returns the credential's project.
     *
     * @throws UpstreamRefusal 401/403 if Code Assist refuses the credential or has no project for it, 429, 5xx
     * @throws IOException if Code Assist could not be reached or onboarding never finished
     */
    String discover(Upstream upstream, String base, AccessToken token) throws IOException, UpstreamRefusal {
        ObjectNode metadata = JSON.createObjectNode().put("ideType", "IDE_UNSPECIFIED")
                .put("platform", "PLATFORM_UNSPECIFIED").put("pluginType", "GEMINI");
        ObjectNode load = JSON.createObjectNode();
        load.set("metadata", metadata);
        JsonNode loaded = call(upstream, "POST", "loadCodeAssist", base + API + ":loadCodeAssist", load, token);
        String project = projectOf(loaded.path("cloudaicompanionProject"));
        if (project != null) {
            return project;
        }
        ObjectNode onboard = JSON.createObjectNode().put("tierId", tier(loaded));
        onboard.set("metadata", metadata);
        JsonNode operation = call(upstream, "POST", "onboardUser", base + API + ":onboardUser", onboard, token);
        for (int poll = 0; !operation.path("done").asBoolean(false); poll++) {
            if (poll >= maxPolls) {
                throw new IOException("Code Assist onboarding did not finish after " + maxPolls + " polls");
            }
            pause();
            String name = operation.path("name").asText("");
            operation = name.isEmpty()
                    ? call(upstream, "POST", "onboardUser", base + API + ":onboardUser", onboard, token)
                    : call(upstream, "GET", "operation", base + API + "/" + name, null, token);
        }
        if (operation.has("error")) {
            throw new UpstreamRefusal(403, "Code Assist could not set up this credential: "
                    + operation.path("error").path("message").asText("onboarding failed") + ".");
        }
        project = projectOf(operation.path("response").path("cloudaicompanionProject"));
        if (project == null) {
            throw new UpstreamRefusal(403, "Code Assist has no project for this credential" + ineligible(loaded)
                    + "; set project_id in the credential or upstream." + upstream.name() + ".project.");
        }
        return project;
    }

    /** The tier the user is on, else the tier Code Assist offers by default, else the legacy tier. */
    private static String tier(JsonNode loaded) {
        if (loaded.path("currentTier").path("id").isTextual()) {
            return loaded.path("currentTier").path("id").asText();
        }
        for (JsonNode tier : loaded.path("allowedTiers")) {
            if (tier.path("isDefault").asBoolean(false) && tier.path("id").isTextual()) {
                return tier.path("id").asText();
            }
        }
        return "legacy-tier";
    }

    private static String ineligible(JsonNode loaded) {
        List<String> reasons = new ArrayList<>();
        loaded.path("ineligibleTiers").forEach(tier -> {
            if (tier.path("reasonMessage").isTextual()) {
                reasons.add(tier.path("reasonMessage").asText());
            }
        });
        return reasons.isEmpty() ? "" : " (" + String.join("; ", reasons) + ")";
    }

    /** A project is named by its id, as a string or as {@code {"id": …}} depending on the call. */
    private static String projectOf(JsonNode node) {
        if (node.isTextual() && !node.asText().isBlank()) {
            return node.asText();
        }
        JsonNode id = node.path("id");
        return id.isTextual() && !id.asText().isBlank() ? id.asText() : null;
    }

    private JsonNode call(Upstream upstream, String method, String what, String url, JsonNode body, AccessToken token)
            throws IOException, UpstreamRefusal {
        HttpCall request = new HttpCall(method, BaseUrls.uri(upstream, url, ""),
                Map.of("Authorization", List.of("Bearer " + token.value()), "Accept", List.of("application/json")),
                body == null ? null : JSON.writeValueAsBytes(body), body == null ? null : "application/json");
        try (UpstreamResponse response = http.execute(request)) {
            int status = response.status();
            byte[] raw = response.body().readNBytes(MAX_BODY_BYTES);
            if (status >= 200 && status < 300) {
                JsonNode parsed = OpenAiErrors.parse(raw);
                if (parsed == null) {
                    throw new IOException("Code Assist answered " + what + " with something that is not a JSON object");
                }
                return parsed;
            }
            String message = OpenAiErrors.message(raw);
            String detail = "Code Assist " + what + " answered HTTP " + status
                    + (message != null ? ": " + message : "") + ".";
            if (status == 401 || status == 403) {
                throw new UpstreamRefusal(status, detail);
            }
            if (status == 429) {
                throw new UpstreamRefusal(429, detail, RetryHints.of(response, raw, clock.millis()));
            }
            throw new UpstreamRefusal(status >= 500 ? status : 502, detail);
        }
    }

    private void pause() throws InterruptedIOException {
        try {
            Thread.sleep(pollInterval);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for Code Assist onboarding");
        }
    }
}
