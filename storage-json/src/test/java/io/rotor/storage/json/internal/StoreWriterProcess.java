package io.rotor.storage.json.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A separate JVM that adds accounts to a store, standing in for the CLI writing while the
 * server runs. Arguments: store file, id prefix, number of accounts, gate file. It reports
 * readiness by creating {@code <gate>.<prefix>} and starts writing once the gate file exists, so
 * that all writers overlap whatever their JVM start-up time.
 */
public final class StoreWriterProcess {

    private StoreWriterProcess() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        JsonAccountStore store = new JsonAccountStore(Path.of(args[0]));
        String prefix = args[1];
        int count = Integer.parseInt(args[2]);
        Path gate = Path.of(args[3]);
        Files.createFile(gate.resolveSibling(gate.getFileName() + "." + prefix));
        while (!Files.exists(gate)) {
            Thread.sleep(1);
        }
        for (int i = 0; i < count; i++) {
            store.putAccount(JsonAccountStoreTest.account(prefix + i));
        }
    }
}
