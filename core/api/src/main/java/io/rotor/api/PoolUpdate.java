package io.rotor.api;

/** A change to a pool's settings; a null field is left as it is. */
public record PoolUpdate(String strategy, Integer perAccount, Long windowMs, Long cooldownMs, Integer maxRetries) {

    public boolean isEmpty() {
        return strategy == null && perAccount == null && windowMs == null && cooldownMs == null && maxRetries == null;
    }
}
