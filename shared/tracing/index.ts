/** Tracing shared by the control plane and the runner: settings, the provider, traceparent text, span helpers. */
export * from "./settings.ts";
export * from "./tracing.ts";
export * from "./traceparent.ts";
export * from "./spans.ts";
