package io.rotor.store.contract;

import io.rotor.api.AccountStore;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A separate JVM writing to a store, standing in for the CLI writing while the server runs.
 *
 * <p>Arguments: the concrete {@link AccountStoreContract} class (it opens the store), the store's
 * folder, an id prefix, the number of accounts ({@value #ENDLESS} for "until killed") and an
 * optional gate file. With a gate it reports readiness by creating {@code <gate>.<prefix>} and
 * starts writing once the gate exists, so that all writers overlap whatever their JVM start-up
 * time. For each account it adds the account, then saves statistics for it, then prints
 * {@code ack <id> <totalRequests>}: a line printed means both writes returned.
 */
public final class StoreWriterProcess {

    public static final int ENDLESS = -1;
    public static final String ACK = "ack ";

    private StoreWriterProcess() {
    }

    /** Starts a writer JVM on the test's own class path; its output is readable from the process. */
    public static Process start(Class<?> contract, Path folder, String prefix, int count, Path gate)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"),
                StoreWriterProcess.class.getName(),
                contract.getName(), folder.toString(), prefix, Integer.toString(count),
                gate == null ? "-" : gate.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** The file a writer creates when it is ready and waits for the gate. */
    public static Path readyFile(Path gate, String prefix) {
        return gate.resolveSibling(gate.getFileName() + "." + prefix);
    }

    public static void main(String[] args) throws Exception {
        Constructor<?> constructor = Class.forName(args[0]).getDeclaredConstructor();
        constructor.setAccessible(true);
        AccountStoreContract contract = (AccountStoreContract) constructor.newInstance();
        AccountStore store = contract.open(Path.of(args[1]));
        String prefix = args[2];
        int count = Integer.parseInt(args[3]);
        if (!args[4].equals("-")) {
            Path gate = Path.of(args[4]);
            Files.createFile(readyFile(gate, prefix));
            while (!Files.exists(gate)) {
                Thread.sleep(1);
            }
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        for (int i = 0; count == ENDLESS || i < count; i++) {
            String id = prefix + i;
            store.putAccount(AccountStoreContract.account(id));
            store.saveRuntime(List.of(AccountStoreContract.runtime(id, i + 1)));
            out.println(ACK + id + " " + (i + 1));
        }
        contract.close(store);
    }
}
