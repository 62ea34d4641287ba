/*
 * The JVM's view of its process environment, made writable: a stem learns its function's
 * environment only at init, after the JVM started, and System.getenv() must then show it (and no
 * longer show the channel's variables), as Lambda's own Java runtime arranges. Needs
 * --add-opens java.base/java.util=ALL-UNNAMED (the process backend and the image pass it).
 */
package dev.hotswap.bootstrap;

import java.lang.reflect.Field;
import java.util.Map;

final class Environment {
    private Environment() {}

    private static Map<String, String> writable;

    @SuppressWarnings("unchecked")
    private static synchronized Map<String, String> writable() {
        if (writable != null) return writable;
        Map<String, String> view = System.getenv();
        try {
            // Collections.UnmodifiableMap over ProcessEnvironment's StringEnvironment, which writes through.
            Field m = view.getClass().getDeclaredField("m");
            m.setAccessible(true);
            writable = (Map<String, String>) m.get(view);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot update the environment (start the JVM with --add-opens java.base/java.util=ALL-UNNAMED): " + e, e);
        }
        return writable;
    }

    static void set(String name, String value) {
        writable().put(name, value);
    }

    static String remove(String name) {
        return writable().remove(name);
    }
}
