/**
 * Test certificates made at test time with openssl: a CA, and leaf certificates it signs for
 * 127.0.0.1 (and localhost) or for given DNS names only, each with a common name of the test's choosing so a test can tell
 * which one a server presents.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCa {
  dir: string;
  /** PEM file of the CA certificate (what clients trust). */
  caFile: string;
  ca: Buffer;
  /** A certificate signed by this CA, for 127.0.0.1 and localhost unless `dnsNames` are given: its PEM files. */
  issue(commonName: string, dnsNames?: string[]): { certFile: string; keyFile: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

export function makeTestCa(dir: string): TestCa {
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=hotswap-test-ca"], dir);
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  const caFile = join(dir, "ca.pem");
  return {
    dir,
    caFile,
    ca: readFileSync(caFile),
    issue(commonName, dnsNames) {
      const name = commonName.replace(/[^a-z0-9-]/gi, "_");
      let ext = "san.ext";
      if (dnsNames) {
        ext = `${name}.ext`;
        writeFileSync(join(dir, ext), `subjectAltName=${dnsNames.map((d) => `DNS:${d}`).join(",")}\n`);
      }
      openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${commonName}`], dir);
      openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", ext], dir);
      return { certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}.key`) };
    },
  };
}
