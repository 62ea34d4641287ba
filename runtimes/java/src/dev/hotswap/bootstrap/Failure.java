/*
 * Lambda's error document for the Java runtime: {errorMessage, errorType, stackTrace[, cause]},
 * errorType being the exception's class name and stackTrace its frames as "class.method(File.java:N)"
 * without the bootstrap's own (and the reflection that called the handler).
 */
package dev.hotswap.bootstrap;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public final class Failure extends Exception {
    private static final long serialVersionUID = 1L;

    public final String errorType;
    public final List<String> stack;
    /** The document of the exception's cause, if any. */
    public final Map<String, Object> cause;

    public Failure(String errorType, String message, List<String> stack, Map<String, Object> cause) {
        super(message);
        this.errorType = errorType;
        this.stack = stack == null ? List.of() : stack;
        this.cause = cause;
    }

    public Failure(String errorType, String message) {
        this(errorType, message, List.of(), null);
    }

    /** The document of a throwable the function raised. */
    public static Failure of(Throwable t) {
        return new Failure(t.getClass().getName(), t.getMessage(), frames(t), causeOf(t, 0));
    }

    /** The same throwable reported under another message (Lambda's "Error loading class X: ..."). */
    public static Failure of(Throwable t, String message) {
        return new Failure(t.getClass().getName(), message, frames(t), causeOf(t, 0));
    }

    private static Map<String, Object> causeOf(Throwable t, int depth) {
        Throwable c = t.getCause();
        if (c == null || c == t || depth > 8) return null;
        return document(c.getClass().getName(), c.getMessage(), frames(c), causeOf(c, depth + 1));
    }

    /** The user's frames: everything up to the first frame of the reflection or of this bootstrap. */
    static List<String> frames(Throwable t) {
        List<String> out = new ArrayList<>();
        for (StackTraceElement e : t.getStackTrace()) {
            String cls = e.getClassName();
            if (cls.startsWith("dev.hotswap.bootstrap.") || cls.startsWith("jdk.internal.reflect.")
                    || (cls.equals("java.lang.reflect.Method") && e.getMethodName().equals("invoke"))) break;
            out.add(e.getClassName() + "." + e.getMethodName() + "(" + location(e) + ")");
        }
        return out;
    }

    private static String location(StackTraceElement e) {
        if (e.isNativeMethod()) return "Native Method";
        if (e.getFileName() == null) return "Unknown Source";
        return e.getLineNumber() >= 0 ? e.getFileName() + ":" + e.getLineNumber() : e.getFileName();
    }

    private static Map<String, Object> document(String type, String message, List<String> stack, Map<String, Object> cause) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("errorMessage", message == null ? "" : message); // the runner reads a string
        d.put("errorType", type);
        d.put("stackTrace", new ArrayList<Object>(stack));
        if (cause != null) d.put("cause", cause);
        return d;
    }

    public Map<String, Object> document() {
        return document(errorType, getMessage(), stack, cause);
    }

    public byte[] json() {
        return Json.write(document()).getBytes(StandardCharsets.UTF_8);
    }
}
