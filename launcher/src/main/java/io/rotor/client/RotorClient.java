package io.rotor.client;

import io.rotor.api.Account;
import io.rotor.api.Admin;
import io.rotor.api.ClientRequest;
import io.rotor.api.ClientResponse;
import io.rotor.api.Endpoint;
import io.rotor.api.Gateway;
import io.rotor.api.PoolGateway;
import io.rotor.api.RotorException;
import io.rotor.launcher.RotorConfig;
import io.rotor.launcher.RotorRuntime;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Rotor inside your own process, without its HTTP server: starts the engine (embedded Felix with the
 * distribution's bundles and drop-in plugins) from a config, then serves OpenAI requests by rotating
 * among the accounts of one pool, exactly as the gateway does.
 *
 * <pre>{@code
 * try (RotorClient client = RotorClient.start(Path.of("rotor.properties"))) {
 *     RotorResponse response = client.chat().completions().create(
 *             Map.of("model", "gpt-4o-mini", "messages", List.of(Map.of("role", "user", "content", "hi"))));
 *     System.out.println(response.accountId() + ": " + response.body().at("/choices/0/message/content").asText());
 * }
 * }</pre>
 *
 * <p>The client needs the distribution's folder ({@code bundles/}, {@code plugins/}): the one holding the
 * {@code rotor.jar} it was loaded from, or the system property {@code rotor.home}. It opens no port and
 * never generates or prints a master key. CLI commands and a {@code serve} on the same store stay safe
 * while it runs, as they do beside a server (two clients in one JVM each boot their own framework; no test
 * covers that). All methods are safe to call from many threads. Close it to stop the engine: statistics
 * are flushed to the store.
 */
public final class RotorClient implements AutoCloseable {

    /** {@code client.chat().completions()}, as in the OpenAI SDKs. */
    public record Chat(Completions completions) {
    }

    private final RotorRuntime runtime;
    private final Admin admin;
    private final Chat chat;
    private final Completions completions;
    private final Embeddings embeddings;
    private final Requests requests;
    private volatile boolean closed;

    private RotorClient(RotorRuntime runtime, Function<ClientRequest, ClientResponse> engine) {
        this.runtime = runtime;
        this.admin = runtime.await(Admin.class);
        this.requests = new Requests(request -> {
            if (closed) {
                throw new IllegalStateException("the RotorClient is closed");
            }
            return engine.apply(request);
        });
        this.chat = new Chat(new Completions(requests, Endpoint.CHAT_COMPLETIONS));
        this.completions = new Completions(requests, Endpoint.COMPLETIONS);
        this.embeddings = new Embeddings(requests);
    }

    /** Starts on a config file (the keys of {@code rotor.properties}), using pool {@code default}. */
    public static RotorClient start(Path configFile) {
        return builder().config(configFile).start();
    }

    /** Starts on the given settings (the keys of {@code rotor.properties}; no file is read), using pool {@code default}. */
    public static RotorClient start(Map<String, String> properties) {
        return builder().properties(properties).start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How to start a client: its config and whose accounts it uses. */
    public static final class Builder {

        private Path config;
        private final Map<String, String> properties = new LinkedHashMap<>();
        private String pool;
        private String userKey;

        private Builder() {
        }

        /** The config file; without one (and without properties), {@code rotor.properties} in the working directory if present. */
        public Builder config(Path file) {
            this.config = file;
            return this;
        }

        /** Settings applied over the config file, or alone: then no file is read. */
        public Builder properties(Map<String, String> settings) {
            properties.putAll(settings);
            return this;
        }

        /** Serves requests from this pool's accounts (default: {@code default}). */
        public Builder pool(String name) {
            this.pool = name;
            return this;
        }

        /**
         * Serves requests as the user with this API key, from its pool, as the HTTP gateway would (its key
         * is checked on every request: removing the user stops the client's requests).
         */
        public Builder userKey(String key) {
            this.userKey = key;
            return this;
        }

        /**
         * Boots the engine and returns the client once it is ready.
         *
         * @throws IllegalArgumentException for a missing or bad config, or both a pool and a user key
         * @throws RotorClientException {@code invalid_api_key} for an unknown user key
         * @throws RotorException if the store's secrets do not decrypt with the configured key
         * @throws IllegalStateException if a bundle or service fails to start
         */
        public RotorClient start() {
            if (pool != null && userKey != null) {
                throw new IllegalArgumentException("give a pool or a user key, not both");
            }
            RotorConfig loaded = config != null ? RotorConfig.load(config, properties)
                    : properties.isEmpty() ? RotorConfig.load(null) : RotorConfig.of(properties);
            RotorRuntime runtime = RotorRuntime.start(loaded, RotorRuntime.Mode.EMBEDDED);
            try {
                return new RotorClient(runtime, engine(runtime));
            } catch (RuntimeException e) {
                runtime.close();
                throw e instanceof RotorException rotorException ? RotorClientException.of(rotorException) : e;
            }
        }

        private Function<ClientRequest, ClientResponse> engine(RotorRuntime runtime) {
            if (userKey == null) {
                PoolGateway gateway = runtime.await(PoolGateway.class);
                String name = pool;
                return request -> gateway.handle(request, name);
            }
            Gateway gateway = runtime.await(Gateway.class);
            String authorization = "Bearer " + userKey;
            gateway.authenticate(authorization);
            return request -> gateway.handle(new ClientRequest(request.endpoint(), authorization, request.body()));
        }
    }

    /** Chat completions: {@code client.chat().completions().create(request)} or {@code .stream(request)}. */
    public Chat chat() {
        return chat;
    }

    /** Legacy text completions ({@code /v1/completions}). */
    public Completions completions() {
        return completions;
    }

    /** Embeddings ({@code /v1/embeddings}). */
    public Embeddings embeddings() {
        return embeddings;
    }

    /**
     * The models the pool's upstreams serve ({@code /v1/models}), asked of one of its accounts.
     *
     * @throws RotorClientException as {@link JsonEndpoint#create}
     */
    public RotorResponse models() {
        return requests.create(Endpoint.MODELS, null);
    }

    /** Per-account and total statistics of every account, as {@code rotor accounts stats}. */
    public RotorStats stats() {
        return RotorStats.of(admin.accounts());
    }

    /** Clears the rate-limit windows and cooldowns of all accounts; returns how many accounts there are. */
    public int resetRateLimits() {
        return admin.resetRateLimits();
    }

    /**
     * The engine's management API (accounts, users, pools), the one the CLI and the admin HTTP API use:
     * for example {@code client.admin().addAccount(...)}. Its failures are {@link RotorException}s.
     */
    public Admin admin() {
        return admin;
    }

    /** Stops the engine, flushing statistics to the store; requests made afterwards fail. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            runtime.close();
        }
    }
}
