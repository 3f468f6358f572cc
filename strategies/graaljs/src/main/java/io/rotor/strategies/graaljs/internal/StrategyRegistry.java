package io.rotor.strategies.graaljs.internal;

import io.rotor.api.RotationStrategy;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceRegistration;

/** Where the watcher publishes its strategies: the OSGi service registry, or a test's list. */
interface StrategyRegistry {

    /** Whether some other strategy already goes by this name (a built-in one, a plugin's). */
    boolean taken(String name);

    /** Publishes the strategy with these service properties. */
    Registration register(GraalJsRotationStrategy strategy, Map<String, Object> properties);

    /** One published strategy. */
    interface Registration {

        void update(Map<String, Object> properties);

        void unregister();
    }

    /** The OSGi service registry of the watcher's bundle. */
    static StrategyRegistry of(BundleContext context) {
        return new StrategyRegistry() {
            @Override
            public boolean taken(String name) {
                try {
                    return !context.getServiceReferences(RotationStrategy.class,
                            "(" + RotationStrategy.NAME + "=" + name + ")").isEmpty();
                } catch (InvalidSyntaxException e) {
                    throw new IllegalArgumentException("not a usable strategy name: " + name, e);
                }
            }

            @Override
            public Registration register(GraalJsRotationStrategy strategy, Map<String, Object> properties) {
                ServiceRegistration<RotationStrategy> registration =
                        context.registerService(RotationStrategy.class, strategy, new Hashtable<>(properties));
                return new Registration() {
                    @Override
                    public void update(Map<String, Object> changed) {
                        try {
                            registration.setProperties(new Hashtable<>(changed));
                        } catch (IllegalStateException e) {
                            // unregistered meanwhile (the bundle is stopping)
                        }
                    }

                    @Override
                    public void unregister() {
                        try {
                            registration.unregister();
                        } catch (IllegalStateException e) {
                            // already gone with the bundle
                        }
                    }
                };
            }
        };
    }
}
