/*
 * The Context a handler receives (Lambda's com.amazonaws.services.lambda.runtime.Context): the
 * invocation's request id, deadline, ARN, client context and trace id, the function's facts, and
 * a LambdaLogger writing to the function's log (stdout) as Lambda's does, with no newline added.
 */
package dev.hotswap.bootstrap;

import com.amazonaws.services.lambda.runtime.Client;
import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

final class LambdaContext implements Context {
    /** Per-function facts shared by every context, read from the environment once init applied it. */
    static final class FunctionInfo {
        final String name, version, arn, logGroup, logStream;
        final int memory;

        FunctionInfo(Map<String, String> env) {
            name = env.getOrDefault("AWS_LAMBDA_FUNCTION_NAME", "function");
            version = env.getOrDefault("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
            int mem;
            try {
                mem = Integer.parseInt(env.getOrDefault("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"));
            } catch (NumberFormatException e) {
                mem = 128;
            }
            memory = mem;
            arn = "arn:aws:lambda:" + env.getOrDefault("AWS_REGION", "us-east-1") + ":000000000000:function:" + name;
            logGroup = env.getOrDefault("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + name);
            logStream = env.getOrDefault("AWS_LAMBDA_LOG_STREAM_NAME", "");
        }

        String qualifiedArn(String qualifier) {
            return qualifier == null || qualifier.isEmpty() ? arn : arn + ":" + qualifier;
        }
    }

    private static final LambdaLogger LOGGER = new LambdaLogger() {
        @Override
        public void log(String message) {
            PrintStream out = System.out;
            out.print(message);
            out.flush();
        }

        @Override
        public void log(byte[] message) {
            log(new String(message, StandardCharsets.UTF_8));
        }
    };

    private static final CognitoIdentity NO_IDENTITY = new CognitoIdentity() {
        @Override
        public String getIdentityId() {
            return "";
        }

        @Override
        public String getIdentityPoolId() {
            return "";
        }
    };

    private final FunctionInfo info;
    private final String requestId, arn, xrayTraceId;
    private final long deadlineMs;
    private final ClientContext clientContext;

    LambdaContext(FunctionInfo info, String requestId, long deadlineMs, String arn, String xrayTraceId, ClientContext clientContext) {
        this.info = info;
        this.requestId = requestId;
        this.deadlineMs = deadlineMs;
        this.arn = arn == null ? info.arn : arn;
        this.xrayTraceId = xrayTraceId;
        this.clientContext = clientContext;
    }

    @Override public String getAwsRequestId() { return requestId; }
    @Override public String getLogGroupName() { return info.logGroup; }
    @Override public String getLogStreamName() { return info.logStream; }
    @Override public String getFunctionName() { return info.name; }
    @Override public String getFunctionVersion() { return info.version; }
    @Override public String getInvokedFunctionArn() { return arn; }
    @Override public CognitoIdentity getIdentity() { return NO_IDENTITY; }
    @Override public ClientContext getClientContext() { return clientContext; }
    @Override public int getMemoryLimitInMB() { return info.memory; }
    @Override public LambdaLogger getLogger() { return LOGGER; }
    @Override public String getXrayTraceId() { return xrayTraceId; }

    @Override
    public int getRemainingTimeInMillis() {
        return (int) Math.max(0, deadlineMs - System.currentTimeMillis());
    }

    /** X-Ray trace header from a W3C traceparent, as AWS maps one to the other (null if malformed). */
    static String xrayFromTraceparent(String tp) {
        if (tp == null) return null;
        String[] p = tp.split("-");
        if (p.length != 4 || p[1].length() != 32 || p[2].length() != 16 || p[3].length() != 2) return null;
        try {
            int sampled = Integer.parseInt(p[3], 16) & 1;
            return "Root=1-" + p[1].substring(0, 8) + "-" + p[1].substring(8) + ";Parent=" + p[2] + ";Sampled=" + sampled;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The client context from its JSON (the Runtime API's header) or base64 JSON (the fast channel's); null if absent or unreadable. */
    static ClientContext clientContext(String text, boolean base64) {
        if (text == null || text.isEmpty()) return null;
        try {
            String json = base64 ? new String(Base64.getDecoder().decode(text), StandardCharsets.UTF_8) : text;
            Object v = Json.parse(json);
            if (!(v instanceof Map)) return null;
            Map<?, ?> m = (Map<?, ?>) v;
            Map<String, String> custom = strings(m.get("custom")), env = strings(m.get("env"));
            Map<String, String> client = strings(m.get("client"));
            Client c = client == null ? null : new Client() {
                @Override public String getInstallationId() { return client.get("installation_id"); }
                @Override public String getAppTitle() { return client.get("app_title"); }
                @Override public String getAppVersionName() { return client.get("app_version_name"); }
                @Override public String getAppVersionCode() { return client.get("app_version_code"); }
                @Override public String getAppPackageName() { return client.get("app_package_name"); }
            };
            return new ClientContext() {
                @Override public Client getClient() { return c; }
                @Override public Map<String, String> getCustom() { return custom; }
                @Override public Map<String, String> getEnvironment() { return env; }
            };
        } catch (Exception e) {
            return null;
        }
    }

    private static Map<String, String> strings(Object v) {
        if (!(v instanceof Map)) return null;
        Map<String, String> out = new HashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
            Object x = e.getValue();
            out.put(String.valueOf(e.getKey()), x == null ? null : x instanceof String ? (String) x : Json.write(x));
        }
        return out;
    }
}
