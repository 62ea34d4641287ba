// HotSwap's own definition of Lambda's mobile client description (binary-compatible with aws-lambda-java-core).
package com.amazonaws.services.lambda.runtime;

public interface Client {
    String getInstallationId();

    String getAppTitle();

    String getAppVersionName();

    String getAppVersionCode();

    String getAppPackageName();
}
