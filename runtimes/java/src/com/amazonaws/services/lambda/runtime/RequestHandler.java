// HotSwap's own definition of Lambda's handler interface (binary-compatible with aws-lambda-java-core):
// the platform provides it at run time, so a jar built against aws-lambda-java-core runs unchanged.
package com.amazonaws.services.lambda.runtime;

public interface RequestHandler<I, O> {
    O handleRequest(I input, Context context);
}
