package io.rotor.transport.http.internal;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The {@code onClose} of a test ClientResponse: counts closes and releases what the response holds. */
final class CountingCloser implements Closeable {

    private final AtomicInteger closes = new AtomicInteger();
    private final CountDownLatch firstClose = new CountDownLatch(1);
    private final Closeable resource;

    CountingCloser(Closeable resource) {
        this.resource = resource;
    }

    CountingCloser() {
        this(() -> { });
    }

    @Override
    public void close() throws IOException {
        closes.incrementAndGet();
        firstClose.countDown();
        resource.close();
    }

    int closes() {
        return closes.get();
    }

    boolean awaitClose(long seconds) throws InterruptedException {
        return firstClose.await(seconds, TimeUnit.SECONDS);
    }
}
