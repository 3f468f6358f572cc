package io.rotor.storage.json.internal;

import io.rotor.api.AccountStore;
import io.rotor.store.contract.AccountStoreContract;
import java.nio.file.Path;

/** The AccountStore contract on the JSON store. */
class JsonAccountStoreContractTest extends AccountStoreContract {

    @Override
    protected AccountStore open(Path folder) {
        return new JsonAccountStore(folder.resolve("accounts.json"));
    }
}
