// HotSwap's own definition of Lambda's Cognito identity (binary-compatible with aws-lambda-java-core).
package com.amazonaws.services.lambda.runtime;

public interface CognitoIdentity {
    String getIdentityId();

    String getIdentityPoolId();
}
