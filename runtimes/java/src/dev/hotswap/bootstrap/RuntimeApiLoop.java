/*
 * The AWS Lambda Runtime API side of the bootstrap: load the handler named by _HANDLER from
 * LAMBDA_TASK_ROOT (or post /init/error and leave), then loop on /invocation/next, posting each
 * result to /response or its error document to /error, with HOTSWAP_CONCURRENCY loops at once.
 */
package dev.hotswap.bootstrap;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.util.Map;

final class RuntimeApiLoop {
    private RuntimeApiLoop() {}

    private static final String API = "/2018-06-01/runtime";

    static void serve(String address) {
        Map<String, String> env = System.getenv();
        String base = "http://" + address + API;
        int concurrency = 1;
        try {
            String c = env.getOrDefault("HOTSWAP_CONCURRENCY", env.getOrDefault("AWS_LAMBDA_MAX_CONCURRENCY", "1"));
            concurrency = Math.max(1, Integer.parseInt(c.isEmpty() ? "1" : c));
        } catch (NumberFormatException e) {
            concurrency = 1;
        }
        String taskRoot = Main.notEmpty(env.get("LAMBDA_TASK_ROOT")) ? env.get("LAMBDA_TASK_ROOT") : System.getProperty("user.dir");
        FunctionHandler handler;
        try {
            if (!Main.notEmpty(env.get("_HANDLER"))) throw new Failure("Runtime.MalformedHandlerName", "_HANDLER is not set");
            handler = Main.loadHandler(taskRoot, env.get("_HANDLER"));
        } catch (Failure f) {
            initError(base, f);
            return;
        } catch (Throwable t) {
            initError(base, Failure.of(t));
            return;
        }
        LambdaContext.FunctionInfo info = new LambdaContext.FunctionInfo(env);
        final int n = concurrency;
        for (int k = 1; k < n; k++) {
            Thread t = new Thread(() -> loop(base, address, handler, info, n), "hotswap-next-" + k);
            t.setDaemon(true);
            t.start();
        }
        loop(base, address, handler, info, n);
    }

    private static void initError(String base, Failure f) {
        try {
            post(base + "/init/error", f.json(), f.errorType);
        } catch (IOException e) {
            // the runner is gone; nothing to tell
        }
        Main.exit(1);
    }

    private static void loop(String base, String address, FunctionHandler handler, LambdaContext.FunctionInfo info, int concurrency) {
        try {
            while (true) {
                HttpURLConnection c = (HttpURLConnection) new URL(base + "/invocation/next").openConnection();
                c.setReadTimeout(0);
                int status = c.getResponseCode();
                byte[] event = readAll(status < 400 ? c.getInputStream() : c.getErrorStream());
                if (status != 200) {
                    System.err.println("hotswap bootstrap: /next answered " + status);
                    Main.exit(1);
                }
                String id = c.getHeaderField("Lambda-Runtime-Aws-Request-Id");
                long deadline;
                try {
                    deadline = Long.parseLong(c.getHeaderField("Lambda-Runtime-Deadline-Ms"));
                } catch (NumberFormatException e) {
                    deadline = System.currentTimeMillis() + 3000;
                }
                String trace = c.getHeaderField("Lambda-Runtime-Trace-Id");
                if (trace == null) trace = LambdaContext.xrayFromTraceparent(c.getHeaderField("traceparent"));
                if (concurrency == 1) Main.enterTrace(trace);
                LambdaContext ctx = new LambdaContext(info, id, deadline, c.getHeaderField("Lambda-Runtime-Invoked-Function-Arn"), trace,
                        LambdaContext.clientContext(c.getHeaderField("Lambda-Runtime-Client-Context"), false));
                FunctionHandler.Outcome o;
                try {
                    o = handler.run(event, ctx);
                } catch (OutOfMemoryError e) {
                    post(base + "/invocation/" + id + "/error", new Failure(e.getClass().getName(), String.valueOf(e.getMessage())).json(), "Unhandled");
                    Main.exit(1);
                    return;
                }
                if (o.ok) post(base + "/invocation/" + id + "/response", o.body, null);
                else post(base + "/invocation/" + id + "/error", o.body, "Unhandled");
            }
        } catch (IOException e) {
            System.err.println("hotswap bootstrap: the Runtime API at " + address + " is unreachable (" + e.getMessage() + "); exiting");
            Main.exit(1);
        }
    }

    private static void post(String url, byte[] body, String errorType) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        c.setFixedLengthStreamingMode(body.length);
        c.setRequestProperty("Content-Type", "application/json");
        if (errorType != null) c.setRequestProperty("Lambda-Runtime-Function-Error-Type", errorType);
        try (OutputStream out = c.getOutputStream()) {
            out.write(body);
        }
        int status = c.getResponseCode();
        readAll(status < 400 ? c.getInputStream() : c.getErrorStream());
    }

    private static byte[] readAll(InputStream in) throws IOException {
        if (in == null) return new byte[0];
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        }
    }

}
