package io.rotor.api;

/** The OpenAI-compatible operations Rotor proxies. */
public enum Endpoint {
    CHAT_COMPLETIONS("/chat/completions"),
    COMPLETIONS("/completions"),
    EMBEDDINGS("/embeddings"),
    MODELS("/models");

    private final String path;

    Endpoint(String path) {
        this.path = path;
    }

    /** Returns the path below an OpenAI base URL ({@code .../v1}), e.g. {@code /chat/completions}. */
    public String path() {
        return path;
    }
}
