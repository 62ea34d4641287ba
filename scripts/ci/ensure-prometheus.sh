#!/usr/bin/env bash
# Makes `prometheus` and `promtool` available for the real-Prometheus test (tests/observability)
# and the alert-rule checks (tests/infra/dashboards.test.ts): Debian's `prometheus` package, with
# at most one `apt-get update`. Only the binaries are used: the tests start their own prometheus
# process on a temp data dir, so the Debian service is neither started nor enabled here (policy-rc.d
# keeps the package's postinst from starting it).
set -euo pipefail
say() { printf 'ensure-prometheus: %s\n' "$*"; }
die() { printf 'ensure-prometheus: %s\n' "$*" >&2; exit 1; }
# shellcheck source=apt.sh
. "$(dirname "$0")/apt.sh"

if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
  say "prometheus: $(command -v prometheus) ($(prometheus --version 2>&1 | head -n 1))"
  exit 0
fi
# Deny service starts while the package installs (invoke-rc.d honours policy-rc.d); restore after.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ "$(id -u)" = 0 ] && [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
apt_install --no-install-recommends prometheus
command -v prometheus >/dev/null && command -v promtool >/dev/null || die "the prometheus package installed no prometheus/promtool binary"
say "prometheus: $(command -v prometheus) ($(prometheus --version 2>&1 | head -n 1))"
