/**
 * Runner TLS in the Pulumi programs: with `runnerTls` the runners get their certificate and key
 * mounted (a Secret on Kubernetes, secret uploads on Docker) and named by HOTSWAP_RUNNER_TLS_CERT/KEY,
 * advertise and probe over HTTPS, and the control planes get only the CA, named by
 * HOTSWAP_RUNNER_TLS_CA; an existing Kubernetes Secret (cert-manager's tls.crt/tls.key/ca.crt) can
 * stand in for the PEM texts. The stack config key `hotswap:runnerTls` reaches both.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { container, dockerContainers, dockerContainerRaw, dockerEnv, envOf, isSecret, k8sObject, k8sObjects, k8sRaw, podSpec, run, unsecret } from "./support/infra.ts";

const { RunnerPool } = await import("../../infra/components/runner-pool.ts");
const { ControlPlane } = await import("../../infra/components/control-plane.ts");
const { KubernetesEnvironment } = await import("../../infra/targets/kubernetes-environment.ts");
const { DockerEnvironment } = await import("../../infra/targets/docker.ts");
const { parseStackConfig } = await import("../../infra/config.ts");

const CERT = "-----BEGIN CERTIFICATE-----\nrunner-cert\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nrunner-key\n-----END PRIVATE KEY-----\n";
const CA = "-----BEGIN CERTIFICATE-----\nrunner-ca\n-----END CERTIFICATE-----\n";
const pems = () => ({ cert: CERT, key: pulumi.secret(KEY), ca: CA });

const s3 = { endpoint: "http://minio:9000", bucket: "code", region: "us-east-1", accessKeyId: "hotswap", secretAccessKey: pulumi.secret("minio-pw") };
const runnerWiring = { image: "hotswap/runner:1.0.0", controlPlaneUrl: "http://control-plane:8080", clusterSecret: pulumi.secret("cluster-secret-value"), redisUrl: pulumi.secret("redis://redis:6379"), s3, otlpEndpoint: "http://jaeger:4318" };
const cpWiring = { image: "hotswap/control-plane:1.0.0", databaseUrl: pulumi.secret("postgres://pg/hs"), redisUrl: pulumi.secret("redis://redis:6379"), s3, otlpEndpoint: "http://jaeger:4318" };
const k8sHost = () => new KubernetesEnvironment("env", { namespace: "hs" }).host;
const dockerHost = () => new DockerEnvironment("env", { namePrefix: "hs", socketGroup: "998" }).host;

test("kubernetes, PEM texts: the runners' cert and key are a Secret mounted at /etc/hotswap/runner-tls; they advertise and probe HTTPS", async () => {
  const { mocks } = await run(() => new RunnerPool("pool", { host: k8sHost(), name: "default", ...runnerWiring, tls: pems() }));
  const deployment = k8sObject(mocks, "Deployment", "runner-default");
  const runner = container(deployment, "runner");
  const env = envOf(runner);
  assert.equal(env.HOTSWAP_RUNNER_TLS_CERT, "/etc/hotswap/runner-tls/tls.crt");
  assert.equal(env.HOTSWAP_RUNNER_TLS_KEY, "/etc/hotswap/runner-tls/tls.key");
  assert.equal(env.RUNNER_ADVERTISE_URL, "https://$(POD_IP):8081", "control planes dial the runners over HTTPS");
  assert.deepEqual(runner.readinessProbe.httpGet, { path: "/health", port: 8081, scheme: "HTTPS" });
  assert.deepEqual(runner.livenessProbe.httpGet, { path: "/health", port: 8081, scheme: "HTTPS" });
  const secret = k8sRaw(mocks, "Secret", "runner-default-runner-tls");
  assert.ok(isSecret(secret.inputs.stringData), "the key is a secret output in the state");
  assert.deepEqual(unsecret(secret.inputs.stringData), { "tls.crt": CERT, "tls.key": KEY });
  const volume = podSpec(deployment).volumes.find((v: any) => v.secret?.secretName === "runner-default-runner-tls");
  assert.equal(volume.secret.defaultMode, 0o440);
  assert.deepEqual(runner.volumeMounts.find((m: any) => m.name === volume.name), { name: volume.name, mountPath: "/etc/hotswap/runner-tls", readOnly: true });
});

test("kubernetes, an existing Secret: runners mount only tls.crt and tls.key of it, control planes only ca.crt", async () => {
  const tls = { secretName: "hotswap-runner-tls", serverName: "runner.hotswap.svc" };
  const { mocks } = await run(() => {
    const host = k8sHost();
    new ControlPlane("cp", { host, ...cpWiring, runnerTls: tls });
    new RunnerPool("pool", { host, name: "default", ...runnerWiring, tls });
  });
  const runnerVolume = podSpec(k8sObject(mocks, "Deployment", "runner-default")).volumes.find((v: any) => v.name === "secret-runner-tls");
  assert.deepEqual(runnerVolume.secret, { secretName: "hotswap-runner-tls", defaultMode: 0o440, items: [{ key: "tls.crt", path: "tls.crt" }, { key: "tls.key", path: "tls.key" }] });
  const cp = k8sObject(mocks, "Deployment", "control-plane");
  const caVolume = podSpec(cp).volumes.find((v: any) => v.name === "secret-runner-ca");
  assert.deepEqual(caVolume.secret, { secretName: "hotswap-runner-tls", defaultMode: 0o440, items: [{ key: "ca.crt", path: "ca.crt" }] }, "the control plane never sees the runners' key");
  const server = container(cp, "control-plane");
  assert.deepEqual(server.volumeMounts.find((m: any) => m.name === "secret-runner-ca"), { name: "secret-runner-ca", mountPath: "/etc/hotswap/runner-ca", readOnly: true });
  assert.equal(envOf(server).HOTSWAP_RUNNER_TLS_CA, "/etc/hotswap/runner-ca/ca.crt");
  assert.equal(envOf(server).HOTSWAP_RUNNER_TLS_SERVERNAME, "runner.hotswap.svc", "certificates are checked against the service name, not pod IPs");
  assert.equal(envOf(server).HOTSWAP_TLS_CERT, undefined, "the API's own TLS is a separate choice");
});

test("kubernetes, PEM texts: the control plane gets the CA as a ConfigMap file and HOTSWAP_RUNNER_TLS_CA", async () => {
  const { mocks } = await run(() => new ControlPlane("cp", { host: k8sHost(), ...cpWiring, runnerTls: pems() }));
  assert.deepEqual(k8sObject(mocks, "ConfigMap", "control-plane-runner-ca").data, { "ca.crt": CA });
  assert.equal(k8sObjects(mocks, "Secret").has("control-plane-runner-tls"), false, "no key on the control plane");
  const server = container(k8sObject(mocks, "Deployment", "control-plane"), "control-plane");
  assert.equal(envOf(server).HOTSWAP_RUNNER_TLS_CA, "/etc/hotswap/runner-ca/ca.crt");
  assert.equal(envOf(server).HOTSWAP_RUNNER_TLS_SERVERNAME, undefined, "without serverName the advertised address is checked");
  assert.deepEqual(server.volumeMounts.find((m: any) => m.mountPath === "/etc/hotswap/runner-ca")?.readOnly, true);
});

test("docker: the runners' cert and key are uploaded as secrets beside the env naming them; the control plane gets the CA", async () => {
  const { mocks } = await run(() => {
    const host = dockerHost();
    new ControlPlane("cp", { host, ...cpWiring, runnerTls: pems() });
    new RunnerPool("pool", { host, name: "default", size: 2, ...runnerWiring, tls: pems() });
  });
  const containers = dockerContainers(mocks);
  for (const name of ["hs-runner-default-0", "hs-runner-default-1"]) {
    const c = containers.get(name)!;
    assert.deepEqual(
      Object.fromEntries(c.uploads.map((u: any) => [u.file, u.content])),
      { "/etc/hotswap/runner-tls/tls.crt": CERT, "/etc/hotswap/runner-tls/tls.key": KEY },
    );
    // The key's upload is a secret in the state (the serializer may wrap the whole list instead).
    const raw = dockerContainerRaw(mocks, name).inputs.uploads as any;
    assert.ok(isSecret(raw) || isSecret(raw.find((u: any) => u.file.endsWith("tls.key")).content), "uploaded key material stays secret in the state");
    const env = dockerEnv(c);
    assert.equal(env.HOTSWAP_RUNNER_TLS_CERT, "/etc/hotswap/runner-tls/tls.crt");
    assert.equal(env.HOTSWAP_RUNNER_TLS_KEY, "/etc/hotswap/runner-tls/tls.key");
  }
  const cp = containers.get("hs-control-plane")!;
  assert.deepEqual(cp.uploads.map((u: any) => [u.file, u.content]), [["/etc/hotswap/runner-ca/ca.crt", CA]]);
  assert.equal(dockerEnv(cp).HOTSWAP_RUNNER_TLS_CA, "/etc/hotswap/runner-ca/ca.crt");
});

test("refuses a Secret name on docker and a half-given PEM set, with exact messages", async () => {
  await assert.rejects(run(() => new RunnerPool("pool", { host: dockerHost(), ...runnerWiring, tls: { secretName: "x" } })), {
    message: 'RunnerPool "pool": tls.secretName (a Kubernetes Secret) is available on the kubernetes target only; on docker give tls.cert, tls.key and tls.ca',
  });
  await assert.rejects(run(() => new ControlPlane("cp", { host: k8sHost(), ...cpWiring, runnerTls: { cert: CERT, key: "", ca: "" } as any })), {
    message: 'ControlPlane "cp": runnerTls needs cert, key and ca together (missing: key, ca), or secretName on kubernetes',
  });
  await assert.rejects(run(() => new ControlPlane("cp", { host: k8sHost(), ...cpWiring, runnerTls: { secretName: "x", serverName: "bad name!" } })), {
    message: 'ControlPlane "cp": runnerTls.serverName must be a DNS name, e.g. runner.hotswap.internal (got "bad name!")',
  });
});

test("stack config hotswap:runnerTls: PEM texts or a Secret name, checked against the target", () => {
  const parse = (target: string, runnerTls: unknown) =>
    parseStackConfig({ "hotswap:target": target, "hotswap:runnerTls": JSON.stringify(runnerTls) }, { stack: "dev", defaultVersion: "0.1.0" });
  assert.deepEqual(parse("docker", { cert: CERT, key: KEY, ca: CA }).runnerTls, { cert: CERT, key: KEY, ca: CA });
  assert.deepEqual(parse("kubernetes", { secretName: "hotswap-runner-tls" }).runnerTls, { secretName: "hotswap-runner-tls" });
  assert.deepEqual(parse("kubernetes", { secretName: "hotswap-runner-tls", serverName: "runner.hotswap.svc" }).runnerTls, { secretName: "hotswap-runner-tls", serverName: "runner.hotswap.svc" });
  assert.throws(() => parse("kubernetes", { secretName: "hotswap-runner-tls", serverName: "not a name" }), { message: "hotswap:runnerTls.serverName must be a DNS name, e.g. runner.hotswap.internal" });
  assert.equal(parseStackConfig({ "hotswap:target": "docker" }, { stack: "dev", defaultVersion: "0.1.0" }).runnerTls, undefined);
  assert.throws(() => parse("docker", { secretName: "hotswap-runner-tls" }), {
    message: "hotswap:runnerTls.secretName is a Kubernetes Secret: on the docker target give runnerTls.cert, runnerTls.key and runnerTls.ca",
  });
  assert.throws(() => parse("kubernetes", { cert: CERT }), { message: "hotswap:runnerTls needs cert, key and ca together (missing: key, ca), or secretName on kubernetes" });
  assert.throws(() => parse("kubernetes", { cert: "not pem", key: KEY, ca: CA }), { message: "hotswap:runnerTls.cert must be a PEM certificate (-----BEGIN ...-----)" });
});

test("the program passes hotswap:runnerTls to the control plane and every runner pool, the key as a secret", async () => {
  const { createPlatform } = await import("../../infra/program.ts");
  const config = parseStackConfig(
    { "hotswap:target": "kubernetes", "hotswap:runnerTls": JSON.stringify({ cert: CERT, key: KEY, ca: CA }), "hotswap:runnerPools": JSON.stringify([{ name: "a" }, { name: "b" }]) },
    { stack: "dev", defaultVersion: "0.1.0" },
  );
  const { mocks } = await run(() => createPlatform(config));
  for (const pool of ["a", "b"]) {
    assert.equal(envOf(container(k8sObject(mocks, "Deployment", `runner-${pool}`), "runner")).HOTSWAP_RUNNER_TLS_KEY, "/etc/hotswap/runner-tls/tls.key");
    const secret = k8sRaw(mocks, "Secret", `runner-${pool}-runner-tls`);
    assert.ok(isSecret(secret.inputs.stringData));
    assert.equal(unsecret<Record<string, string>>(secret.inputs.stringData)["tls.key"], KEY);
  }
  assert.equal(envOf(container(k8sObject(mocks, "Deployment", "control-plane"), "control-plane")).HOTSWAP_RUNNER_TLS_CA, "/etc/hotswap/runner-ca/ca.crt");
});
