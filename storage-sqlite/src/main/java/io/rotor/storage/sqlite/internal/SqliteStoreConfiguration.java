package io.rotor.storage.sqlite.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The SQLite store's settings from the {@code rotor} configuration. */
@ObjectClassDefinition(name = "Rotor SQLite store", description = "AccountStore on a SQLite database")
public @interface SqliteStoreConfiguration {

    /** Key {@code store.sqlite.path}: the database file; the launcher passes it as an absolute path. */
    @AttributeDefinition(description = "Path of the database file")
    String store_sqlite_path() default "data/rotor.db";
}
