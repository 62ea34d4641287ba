// HotSwap's own definition of Lambda's log levels (binary-compatible with aws-lambda-java-core).
package com.amazonaws.services.lambda.runtime.logging;

public enum LogLevel {
    UNDEFINED, TRACE, DEBUG, INFO, WARN, ERROR, FATAL
}
