package io.rotor.transport.http.internal;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * An upstream socket that, after sending, waits for the first bytes of the answer on the CPU for a
 * short while before its read blocks, if {@code fewCallsWaiting} says so.
 *
 * <p>A thread that blocks in a read sleeps, and when nothing else runs its virtual CPU halts; the
 * answer then has to wake that CPU through the hypervisor before the thread runs again, which on the
 * machines measured cost tens of microseconds per request at one request in flight. Asking the socket
 * how many bytes it holds ({@link InputStream#available()}, one {@code ioctl}) in a loop keeps the CPU
 * awake instead, and an answer that comes within the spin costs neither the sleep nor the wake-up. It is
 * done only for the first read after a write (the upstream's answer to a request, not the gaps of a
 * stream it is sending) and only while few calls wait upstream, which bounds how many threads spin at
 * once. That is also the case under a heavy load with a fast upstream, where it measured a gain; against
 * a slow upstream the spin is CPU spent for nothing. Every other operation goes to the wrapped socket.
 */
final class SpinningSocket extends Socket {

    private final Socket socket;
    private final long spinNanos;
    private final BooleanSupplier fewCallsWaiting;
    /** Set by a write, cleared by the next read: the next read waits for an answer. */
    private volatile boolean answerDue;

    SpinningSocket(Socket socket, long spinNanos, BooleanSupplier fewCallsWaiting) throws SocketException {
        super((SocketImpl) null);
        this.socket = socket;
        this.spinNanos = spinNanos;
        this.fewCallsWaiting = fewCallsWaiting;
    }

    @Override
    public InputStream getInputStream() throws IOException {
        InputStream in = socket.getInputStream();
        return new InputStream() {
            @Override
            public int read() throws IOException {
                awaitAnswer(in);
                return in.read();
            }

            @Override
            public int read(byte[] bytes, int offset, int length) throws IOException {
                if (length > 0) {
                    awaitAnswer(in);
                }
                return in.read(bytes, offset, length);
            }

            @Override
            public int available() throws IOException {
                return in.available();
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        };
    }

    /** Spins until the answer's first bytes are there or the time is up, if one is due and few calls wait. */
    private void awaitAnswer(InputStream in) throws IOException {
        if (!answerDue) {
            return;
        }
        answerDue = false;
        if (!fewCallsWaiting.getAsBoolean() || in.available() > 0) {
            return;
        }
        long deadline = System.nanoTime() + spinNanos;
        Thread current = Thread.currentThread();
        // An interrupt ends the spin: the blocking read after it then fails at once, as it would have.
        while (in.available() == 0 && System.nanoTime() < deadline && !current.isInterrupted()) {
            Thread.onSpinWait();
        }
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        return new FilterOutputStream(socket.getOutputStream()) {
            @Override
            public void write(int b) throws IOException {
                out.write(b);
                answerDue = true;
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                out.write(bytes, offset, length);
                answerDue = true;
            }
        };
    }

    // Everything else is the wrapped socket's.

    @Override
    public void connect(SocketAddress endpoint) throws IOException {
        socket.connect(endpoint);
    }

    @Override
    public void connect(SocketAddress endpoint, int timeout) throws IOException {
        socket.connect(endpoint, timeout);
    }

    @Override
    public void bind(SocketAddress bindpoint) throws IOException {
        socket.bind(bindpoint);
    }

    @Override
    public InetAddress getInetAddress() {
        return socket.getInetAddress();
    }

    @Override
    public InetAddress getLocalAddress() {
        return socket.getLocalAddress();
    }

    @Override
    public int getPort() {
        return socket.getPort();
    }

    @Override
    public int getLocalPort() {
        return socket.getLocalPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return socket.getRemoteSocketAddress();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return socket.getLocalSocketAddress();
    }

    @Override
    public SocketChannel getChannel() {
        return socket.getChannel();
    }

    @Override
    public void setTcpNoDelay(boolean on) throws SocketException {
        socket.setTcpNoDelay(on);
    }

    @Override
    public boolean getTcpNoDelay() throws SocketException {
        return socket.getTcpNoDelay();
    }

    @Override
    public void setSoLinger(boolean on, int linger) throws SocketException {
        socket.setSoLinger(on, linger);
    }

    @Override
    public int getSoLinger() throws SocketException {
        return socket.getSoLinger();
    }

    @Override
    public void sendUrgentData(int data) throws IOException {
        socket.sendUrgentData(data);
    }

    @Override
    public void setOOBInline(boolean on) throws SocketException {
        socket.setOOBInline(on);
    }

    @Override
    public boolean getOOBInline() throws SocketException {
        return socket.getOOBInline();
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        socket.setSoTimeout(timeout);
    }

    @Override
    public int getSoTimeout() throws SocketException {
        return socket.getSoTimeout();
    }

    @Override
    public void setSendBufferSize(int size) throws SocketException {
        socket.setSendBufferSize(size);
    }

    @Override
    public int getSendBufferSize() throws SocketException {
        return socket.getSendBufferSize();
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        socket.setReceiveBufferSize(size);
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        return socket.getReceiveBufferSize();
    }

    @Override
    public void setKeepAlive(boolean on) throws SocketException {
        socket.setKeepAlive(on);
    }

    @Override
    public boolean getKeepAlive() throws SocketException {
        return socket.getKeepAlive();
    }

    @Override
    public void setTrafficClass(int tc) throws SocketException {
        socket.setTrafficClass(tc);
    }

    @Override
    public int getTrafficClass() throws SocketException {
        return socket.getTrafficClass();
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        socket.setReuseAddress(on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        return socket.getReuseAddress();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    @Override
    public void shutdownInput() throws IOException {
        socket.shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    @Override
    public String toString() {
        return socket.toString();
    }

    @Override
    public boolean isConnected() {
        return socket.isConnected();
    }

    @Override
    public boolean isBound() {
        return socket.isBound();
    }

    @Override
    public boolean isClosed() {
        return socket.isClosed();
    }

    @Override
    public boolean isInputShutdown() {
        return socket.isInputShutdown();
    }

    @Override
    public boolean isOutputShutdown() {
        return socket.isOutputShutdown();
    }

    @Override
    public void setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        socket.setPerformancePreferences(connectionTime, latency, bandwidth);
    }

    @Override
    public <T> Socket setOption(SocketOption<T> name, T value) throws IOException {
        socket.setOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return socket.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return socket.supportedOptions();
    }
}
