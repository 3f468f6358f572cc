package io.rotor.storage.sqlite.internal;

import io.rotor.api.AccountStore;
import io.rotor.store.contract.AccountStoreContract;
import java.nio.file.Path;

/** The AccountStore contract on the SQLite store. */
class SqliteAccountStoreContractTest extends AccountStoreContract {

    @Override
    protected AccountStore open(Path folder) {
        return new SqliteAccountStore(folder.resolve("rotor.db"));
    }
}
