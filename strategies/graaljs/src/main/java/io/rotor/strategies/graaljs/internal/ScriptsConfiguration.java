package io.rotor.strategies.graaljs.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The script strategies' settings from the {@code rotor} configuration. */
@ObjectClassDefinition(name = "Rotor script strategies", description = "plugins/*.js files run as rotation strategies")
public @interface ScriptsConfiguration {

    /** Key {@code plugins.dir}: the folder whose top-level {@code *.js} files are strategies; absolute from the launcher. */
    @AttributeDefinition(description = "Folder watched for *.js strategies")
    String plugins_dir() default "plugins";

    /** Key {@code script.timeoutMs}: how long one pick of a script may run before it is stopped. */
    @AttributeDefinition(description = "Time limit of one script pick, in milliseconds")
    long script_timeoutMs() default ScriptDirectoryWatcher.DEFAULT_TIMEOUT_MS;
}
