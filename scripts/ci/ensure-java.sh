#!/usr/bin/env bash
# Makes a Java 17 JDK available for the java17 runtime on the process backend and for its tests:
# javac compiles the Java bootstrap (runtimes/java/src) once into a cache and the tests' Java
# functions; java runs them. Installs Debian's openjdk-17-jdk-headless when javac 17 is missing.
# Idempotent; exits non-zero with the step that failed.
set -euo pipefail
say() { printf 'ensure-java: %s\n' "$*"; }
die() { printf 'ensure-java: FAILED: %s\n' "$*" >&2; exit 1; }
# shellcheck source=apt.sh
. "$(dirname "$0")/apt.sh"

javac_17() { command -v javac >/dev/null 2>&1 && javac -version 2>&1 | grep -q '^javac 17\.'; }

if ! javac_17; then
  apt_install openjdk-17-jdk-headless
fi
javac_17 || die "javac 17 is still missing after installing openjdk-17-jdk-headless (is another JDK first on PATH? $(command -v javac || echo none))"
# Sandbox users must be able to run it too (/usr/lib/jvm is world-readable on Debian).
if [ "$(id -u)" = 0 ] && ! su nobody -s /bin/sh -c 'java -version' >/dev/null 2>&1; then
  die "java does not run as an unprivileged user (nobody); sandboxed java17 instances could not start"
fi
say "$(javac -version 2>&1), $(java -version 2>&1 | head -n 1)"
