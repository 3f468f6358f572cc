package io.rotor.transport.http.internal;

import io.rotor.api.Caller;
import io.rotor.api.ClientRequest;
import io.rotor.api.ClientResponse;
import io.rotor.api.Gateway;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** A gateway whose answer each test sets, and which remembers every request it was asked to serve. */
final class RecordingGateway implements Gateway {

    private final List<ClientRequest> requests = new CopyOnWriteArrayList<>();
    private volatile Function<ClientRequest, ClientResponse> answer =
            request -> {
                throw new AssertionError("the test did not expect a request to reach the gateway");
            };

    void answer(Function<ClientRequest, ClientResponse> newAnswer) {
        answer = newAnswer;
    }

    List<ClientRequest> requests() {
        return requests;
    }

    @Override
    public ClientResponse handle(ClientRequest request) {
        requests.add(request);
        return answer.apply(request);
    }

    @Override
    public Caller authenticate(String authorization) {
        return Caller.MASTER;
    }
}
