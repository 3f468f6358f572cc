package io.rotor.core.engine.internal.crypto;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The secret cipher's settings from the {@code rotor} configuration. The key itself never comes
 * from here: Configuration Admin persists its data, so the launcher passes the key as the
 * framework property {@code rotor.security.encryptionKey}.
 */
@ObjectClassDefinition(name = "Rotor secret cipher", description = "AES-256-GCM encryption of account secrets")
public @interface CipherConfiguration {

    /** Key {@code security.encryptionKeyFile}: where a generated key is kept when none is configured. */
    @AttributeDefinition(description = "File holding the generated encryption key (64 hex characters)")
    String security_encryptionKeyFile() default "data/.encryption_key";
}
