/*
 * HotSwap Java bootstrap (standard library only; Java 17). Speaks HotSwap's fast channel
 * (runtimes/PROTOCOL.md) when HOTSWAP_CHANNEL_FD, HOTSWAP_CHANNEL_SOCKET or HOTSWAP_CHANNEL_TCP is
 * set, otherwise the AWS Lambda Runtime API (AWS_LAMBDA_RUNTIME_API). Runs Lambda Java handlers
 * (FunctionHandler). Its stdout/stderr are the function's log; protocol data only crosses the channel.
 */
package dev.hotswap.bootstrap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

public final class Main {
    private Main() {}

    /** Set on the fast channel: tells the runner this instance is going, before it goes (see exit). */
    private static volatile Channel announce;
    private static volatile int concurrency = 1;

    public static void main(String[] args) {
        LogCapture.install();
        exitOnStopSignals();
        // A handler's System.exit still tells the runner first.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Channel c = announce;
            if (c != null) c.sayExiting();
        }));
        try {
            run();
        } catch (Throwable t) { // a bug in the bootstrap's own loop: report it, tell the runner, leave
            t.printStackTrace();
            exit(1);
        }
    }

    private static void run() throws IOException {
        Map<String, String> env = System.getenv();
        String token = env.containsKey("HOTSWAP_CHANNEL_TOKEN") ? Environment.remove("HOTSWAP_CHANNEL_TOKEN") : null;
        Channel chan = null;
        String where = null;
        try {
            if (notEmpty(env.get("HOTSWAP_CHANNEL_FD"))) {
                where = "fd " + env.get("HOTSWAP_CHANNEL_FD");
                chan = Channel.fromFd(Integer.parseInt(Environment.remove("HOTSWAP_CHANNEL_FD").trim()));
            } else if (notEmpty(env.get("HOTSWAP_CHANNEL_SOCKET"))) {
                where = env.get("HOTSWAP_CHANNEL_SOCKET");
                chan = Channel.fromUnixSocket(Environment.remove("HOTSWAP_CHANNEL_SOCKET"));
            } else if (notEmpty(env.get("HOTSWAP_CHANNEL_TCP"))) {
                where = env.get("HOTSWAP_CHANNEL_TCP");
                chan = Channel.fromTcp(Environment.remove("HOTSWAP_CHANNEL_TCP"));
            }
        } catch (IOException | NumberFormatException e) {
            System.err.println("hotswap bootstrap: cannot connect to " + where + ": " + e.getMessage());
            exit(1);
        }
        if (chan != null) {
            serveFast(chan, token);
        } else if (notEmpty(env.get("AWS_LAMBDA_RUNTIME_API"))) {
            RuntimeApiLoop.serve(env.get("AWS_LAMBDA_RUNTIME_API"));
        } else {
            System.err.println("hotswap bootstrap: set HOTSWAP_CHANNEL_FD, HOTSWAP_CHANNEL_SOCKET, HOTSWAP_CHANNEL_TCP or AWS_LAMBDA_RUNTIME_API");
            exit(2);
        }
    }

    static boolean notEmpty(String s) {
        return s != null && !s.isEmpty();
    }

    /** Leave now, without waiting for threads stuck in a handler, after telling the runner (fast channel). */
    static void exit(int code) {
        Channel c = announce;
        if (c != null) c.sayExiting();
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(code);
    }

    @SuppressWarnings("restriction")
    private static void exitOnStopSignals() {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> exit(0));
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // not handleable here: the JVM's default (exit 143) applies
            }
        }
    }

    // ---- fast channel ---------------------------------------------------------------------

    private static volatile FunctionHandler handler;
    private static volatile LambdaContext.FunctionInfo info;

    private static void serveFast(Channel chan, String token) throws IOException {
        announce = chan;
        Map<String, Object> hello = new LinkedHashMap<>();
        hello.put("type", "hello");
        hello.put("runtime", "java");
        hello.put("version", System.getProperty("java.version"));
        hello.put("pid", ProcessHandle.current().pid());
        if (token != null) hello.put("token", token);
        chan.send(Json.write(hello).getBytes(StandardCharsets.UTF_8), new byte[0]);
        ExecutorService pool = null;
        while (true) {
            Frames.Frame f;
            try {
                f = chan.read();
            } catch (Frames.FrameException e) {
                // A corrupt or oversized frame cannot be skipped (the stream cannot be resynchronised).
                System.err.println("hotswap bootstrap: " + e.getMessage() + "; closing the channel");
                exit(1);
                return;
            }
            if (f == null) {
                exit(0);
                return;
            }
            String type = f.type();
            if (type.equals("invoke")) {
                if (pool != null) pool.execute(() -> handleSafely(chan, f));
                else handleSafely(chan, f);
            } else if (type.equals("init") && handler == null) {
                init(chan, f.header);
                if (concurrency > 1) {
                    pool = Executors.newFixedThreadPool(concurrency, r -> {
                        Thread t = new Thread(r, "hotswap-invoke");
                        t.setDaemon(true);
                        return t;
                    });
                }
            }
            // Unknown types are ignored so a newer runner can add messages.
        }
    }

    private static void init(Channel chan, Map<String, Object> h) throws IOException {
        try {
            Object e = h.get("env");
            if (e instanceof Map) for (Map.Entry<?, ?> kv : ((Map<?, ?>) e).entrySet()) Environment.set(String.valueOf(kv.getKey()), String.valueOf(kv.getValue()));
            String taskRoot = String.valueOf(h.get("taskRoot"));
            Environment.set("LAMBDA_TASK_ROOT", taskRoot);
            Environment.set("_HANDLER", String.valueOf(h.get("handler")));
            Environment.set("AWS_LAMBDA_FUNCTION_NAME", String.valueOf(h.get("functionName")));
            Environment.set("AWS_LAMBDA_FUNCTION_VERSION", String.valueOf(h.get("functionVersion")));
            Environment.set("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", String.valueOf(h.get("memorySize")));
            if (System.getenv("AWS_REGION") == null) Environment.set("AWS_REGION", "us-east-1");
            Object c = h.get("concurrency");
            concurrency = c instanceof Number ? Math.max(1, ((Number) c).intValue()) : 1;
            info = new LambdaContext.FunctionInfo(System.getenv());
            handler = loadHandler(taskRoot, String.valueOf(h.get("handler")));
        } catch (Failure f) {
            initFailed(chan, f);
        } catch (Throwable t) { // anything at all must become an initError
            initFailed(chan, Failure.of(t));
        }
        chan.send("{\"type\":\"ready\"}".getBytes(StandardCharsets.UTF_8), new byte[0]);
    }

    private static void initFailed(Channel chan, Failure f) throws IOException {
        chan.send("{\"type\":\"initError\"}".getBytes(StandardCharsets.UTF_8), f.json());
        announce = null; // initError already says the instance is going
        exit(1);
    }

    static FunctionHandler loadHandler(String taskRoot, String handlerName) throws Failure {
        if (!new java.io.File(taskRoot).isDirectory()) {
            throw new Failure("Runtime.InvalidTaskRoot", "Cannot use code directory " + taskRoot + ": it is not a directory");
        }
        System.setProperty("user.dir", taskRoot); // what File.getAbsolutePath() resolves against, as on Lambda
        return FunctionHandler.load(taskRoot, handlerName);
    }

    private static void handleSafely(Channel chan, Frames.Frame f) {
        String id = String.valueOf(f.header.get("id"));
        try {
            handle(chan, id, f);
        } catch (OutOfMemoryError e) {
            fatal(chan, id, e);
        } catch (Throwable t) {
            // A bug here, never the handler's own errors (FunctionHandler answers those): answer the caller.
            System.err.println("hotswap bootstrap: unexpected " + t);
            try {
                chan.send(Frames.replyHeader("error", id), new Failure("Runtime.Unknown", String.valueOf(t)).json());
            } catch (IOException io) {
                exit(1);
            }
        }
    }

    private static void handle(Channel chan, String id, Frames.Frame f) throws IOException {
        FunctionHandler h = handler;
        if (h == null) {
            chan.send(Frames.replyHeader("error", id), new Failure("Runtime.NotInitialized", "invoke received before a successful init").json());
            return;
        }
        Map<String, Object> hd = f.header;
        Object deadline = hd.get("deadline");
        String traceparent = hd.get("traceparent") instanceof String ? (String) hd.get("traceparent") : null;
        String xray = LambdaContext.xrayFromTraceparent(traceparent);
        enterTrace(xray);
        Object q = hd.get("qualifier");
        LambdaContext ctx = new LambdaContext(info, id, deadline instanceof Number ? ((Number) deadline).longValue() : System.currentTimeMillis() + 3000,
                info.qualifiedArn(q instanceof String ? (String) q : null), xray,
                LambdaContext.clientContext(hd.get("clientContext") instanceof String ? (String) hd.get("clientContext") : null, true));
        FunctionHandler.Outcome o = h.run(f.body, ctx);
        chan.send(Frames.replyHeader(o.ok ? "result" : "error", id), o.body);
    }

    /** The X-Ray trace header Lambda's Java runtime gives the invocation (a system property; one at a time only). */
    static void enterTrace(String xray) {
        if (concurrency != 1) return;
        if (xray != null) System.setProperty("com.amazonaws.xray.traceHeader", xray);
        else System.clearProperty("com.amazonaws.xray.traceHeader");
    }

    /** The heap is exhausted: the JVM cannot be trusted any more. Say so, answer, leave. */
    private static void fatal(Channel chan, String id, OutOfMemoryError e) {
        Channel c = announce;
        if (c != null) c.sayExiting();
        announce = null;
        try {
            chan.send(Frames.replyHeader("error", id), new Failure(e.getClass().getName(), String.valueOf(e.getMessage())).json());
        } catch (Throwable ignored) {
            // nothing more to do
        }
        exit(1);
    }
}
