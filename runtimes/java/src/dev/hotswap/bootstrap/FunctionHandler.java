/*
 * Loads a function's handler as Lambda's Java runtime does and runs it per invocation. The code is
 * the task root as a class folder plus every lib/*.jar (and any *.jar at the root) on one class
 * loader whose parent provides com.amazonaws.services.lambda.runtime.*. Handler strings:
 * `pkg.Class::method` or `pkg.Class`; a class implementing RequestStreamHandler or RequestHandler
 * runs through that interface (its input type read from the generic signature), any other public
 * method takes (), (I), (I, Context), (InputStream, OutputStream) or (InputStream, OutputStream, Context).
 */
package dev.hotswap.bootstrap;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

final class FunctionHandler {
    /** What the handler's invocation produced: JSON bytes, or the error document. */
    static final class Outcome {
        final boolean ok;
        final byte[] body;

        Outcome(boolean ok, byte[] body) {
            this.ok = ok;
            this.body = body;
        }
    }

    private interface Call {
        Object run(byte[] event, Context ctx) throws Throwable;
    }

    private final Call call;
    /** The handler writes its own bytes (stream handlers): they are the result as they are. */
    private final boolean streams;

    private FunctionHandler(Call call, boolean streams) {
        this.call = call;
        this.streams = streams;
    }

    static ClassLoader codeLoader(String taskRoot) throws Failure {
        List<URL> urls = new ArrayList<>();
        try {
            File root = new File(taskRoot);
            urls.add(root.toURI().toURL());
            for (File dir : new File[] {new File(root, "lib"), root}) {
                File[] jars = dir.listFiles((d, n) -> n.endsWith(".jar"));
                if (jars == null) continue;
                Arrays.sort(jars, Comparator.comparing(File::getName));
                for (File j : jars) urls.add(j.toURI().toURL());
            }
        } catch (MalformedURLException e) {
            throw new Failure("Runtime.InvalidTaskRoot", "Cannot use code directory " + taskRoot + ": " + e.getMessage());
        }
        return new URLClassLoader("function", urls.toArray(new URL[0]), FunctionHandler.class.getClassLoader());
    }

    static FunctionHandler load(String taskRoot, String handler) throws Failure {
        String className = handler, methodName = null;
        int sep = handler.indexOf("::");
        if (sep >= 0) {
            className = handler.substring(0, sep);
            methodName = handler.substring(sep + 2);
        }
        if (className.isEmpty() || (methodName != null && methodName.isEmpty())) {
            throw new Failure("Runtime.MalformedHandlerName",
                    "Bad handler '" + handler + "': expected <class>::<method> or <class>, for example 'example.Handler::handleRequest'");
        }
        ClassLoader loader = codeLoader(taskRoot);
        Thread.currentThread().setContextClassLoader(loader);
        Class<?> cls;
        try {
            cls = Class.forName(className, true, loader);
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            throw Failure.of(e, "Class not found: " + className);
        } catch (ExceptionInInitializerError e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw Failure.of(cause, "Error loading class " + className + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
        } catch (LinkageError e) {
            throw Failure.of(e, "Error loading class " + className + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
        if ((methodName == null || methodName.equals("handleRequest")) && RequestStreamHandler.class.isAssignableFrom(cls)) {
            RequestStreamHandler h = (RequestStreamHandler) instantiate(cls, className);
            return new FunctionHandler((event, ctx) -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                h.handleRequest(new ByteArrayInputStream(event), out, ctx);
                return out.toByteArray();
            }, true);
        }
        if ((methodName == null || methodName.equals("handleRequest")) && RequestHandler.class.isAssignableFrom(cls)) {
            @SuppressWarnings("unchecked")
            RequestHandler<Object, Object> h = (RequestHandler<Object, Object>) instantiate(cls, className);
            Type input = requestHandlerInput(cls);
            return new FunctionHandler((event, ctx) -> h.handleRequest(Mapper.fromJson(parseEvent(event), input), ctx), false);
        }
        return method(cls, className, methodName == null ? "handleRequest" : methodName);
    }

    private static Object instantiate(Class<?> cls, String className) throws Failure {
        try {
            java.lang.reflect.Constructor<?> c = cls.getDeclaredConstructor();
            c.setAccessible(true);
            return c.newInstance();
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw Failure.of(cause, "Error loading class " + className + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
        } catch (NoSuchMethodException e) {
            throw new Failure("java.lang.NoSuchMethodException", "Error loading class " + className + ": " + className + " has no constructor without arguments");
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            throw Failure.of(e, "Error loading class " + className + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
    }

    /** The I of RequestHandler<I, O>, looking through superclasses and superinterfaces; Object when erased. */
    private static Type requestHandlerInput(Class<?> cls) {
        for (Class<?> c = cls; c != null; c = c.getSuperclass()) {
            Type t = inputIn(c.getGenericInterfaces());
            if (t != null) return t;
        }
        return Object.class;
    }

    private static Type inputIn(Type[] types) {
        for (Type t : types) {
            if (t instanceof ParameterizedType && ((ParameterizedType) t).getRawType() == RequestHandler.class) {
                return ((ParameterizedType) t).getActualTypeArguments()[0];
            }
            Class<?> raw = Mapper.rawClass(t);
            if (raw != Object.class && RequestHandler.class.isAssignableFrom(raw)) {
                Type inner = inputIn(raw.getGenericInterfaces());
                if (inner != null) return inner;
            }
        }
        return null;
    }

    /** A plain public method: the one with the most parameters among the usable overloads, as Lambda picks. */
    private static FunctionHandler method(Class<?> cls, String className, String name) throws Failure {
        Method best = null;
        for (Method m : cls.getMethods()) {
            if (!m.getName().equals(name) || !usable(m)) continue;
            if (best == null || m.getParameterCount() > best.getParameterCount()) best = m;
        }
        if (best == null) {
            throw new Failure("Runtime.HandlerNotFound",
                    "No public method named " + name + " with appropriate method signature found on class " + className);
        }
        Method m = best;
        m.setAccessible(true);
        Object target = Modifier.isStatic(m.getModifiers()) ? null : instantiate(cls, className);
        Class<?>[] p = m.getParameterTypes();
        boolean streaming = p.length >= 2 && p[0] == InputStream.class && p[1] == OutputStream.class;
        if (streaming) {
            return new FunctionHandler((event, ctx) -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                Object[] args = p.length == 3 ? new Object[] {new ByteArrayInputStream(event), out, ctx} : new Object[] {new ByteArrayInputStream(event), out};
                invoke(m, target, args);
                return out.toByteArray();
            }, true);
        }
        Type input = p.length >= 1 ? m.getGenericParameterTypes()[0] : null;
        boolean takesContext = p.length == 2 || (p.length == 1 && p[0] == Context.class);
        boolean contextOnly = p.length == 1 && p[0] == Context.class;
        boolean isVoid = m.getReturnType() == void.class;
        return new FunctionHandler((event, ctx) -> {
            Object[] args;
            if (p.length == 0) args = new Object[0];
            else if (contextOnly) args = new Object[] {ctx};
            else {
                Object in = Mapper.fromJson(parseEvent(event), input);
                args = takesContext ? new Object[] {in, ctx} : new Object[] {in};
            }
            Object r = invoke(m, target, args);
            return isVoid ? null : r;
        }, false);
    }

    private static boolean usable(Method m) {
        Class<?>[] p = m.getParameterTypes();
        switch (p.length) {
            case 0:
            case 1:
                return true;
            case 2:
                return p[1] == Context.class || (p[0] == InputStream.class && p[1] == OutputStream.class);
            case 3:
                return p[0] == InputStream.class && p[1] == OutputStream.class && p[2] == Context.class;
            default:
                return false;
        }
    }

    private static Object invoke(Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** The event can be neither parsed nor mapped: Lambda's "An error occurred during JSON parsing". */
    static final class EventError extends Exception {
        private static final long serialVersionUID = 1L;

        EventError(Throwable cause) {
            super(cause.getMessage(), cause);
        }
    }

    private static Object parseEvent(byte[] event) throws EventError {
        if (event.length == 0) return null;
        try {
            return Json.parse(event);
        } catch (Json.ParseException e) {
            throw new EventError(e);
        }
    }

    /** Runs one invocation; never throws for anything the function does (Errors included). */
    Outcome run(byte[] event, Context ctx) {
        Object result;
        LogCapture.begin(ctx.getAwsRequestId());
        try {
            result = call.run(event, ctx);
        } catch (EventError | Mapper.MappingException e) {
            Throwable cause = e instanceof EventError ? e.getCause() : e;
            Failure f = new Failure("java.lang.RuntimeException", "An error occurred during JSON parsing", List.of(),
                    new Failure(cause.getClass().getName(), cause.getMessage()).document());
            return new Outcome(false, f.json());
        } catch (Throwable t) {
            if (t instanceof OutOfMemoryError) throw (OutOfMemoryError) t;
            return new Outcome(false, Failure.of(t).json());
        } finally {
            LogCapture.end();
        }
        if (streams) return new Outcome(true, (byte[]) result);
        try {
            return new Outcome(true, Mapper.toJsonText(result).getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException | StackOverflowError e) {
            Failure f = new Failure("java.lang.RuntimeException", "An error occurred during JSON serialization of response", List.of(),
                    new Failure(e.getClass().getName(), e.getMessage()).document());
            return new Outcome(false, f.json());
        }
    }
}
