package io.rotor.storage.json.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The JSON store's settings from the {@code rotor} configuration. */
@ObjectClassDefinition(name = "Rotor JSON store", description = "AccountStore on a JSON file in the seed's layout")
public @interface JsonStoreConfiguration {

    /** Key {@code store.json.path}: the accounts file; the launcher passes it as an absolute path. */
    @AttributeDefinition(description = "Path of the accounts file")
    String store_json_path() default "data/accounts.json";
}
