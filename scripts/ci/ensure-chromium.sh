#!/usr/bin/env bash
# Makes Debian's Chromium available at /usr/bin/chromium for the web console's browser tests
# (tests/console, driven by playwright-core with executablePath /usr/bin/chromium; no browser is
# ever downloaded by `npx playwright install`), with at most one `apt-get update`.
set -euo pipefail
say() { printf 'ensure-chromium: %s\n' "$*"; }
die() { printf 'ensure-chromium: %s\n' "$*" >&2; exit 1; }
# shellcheck source=apt.sh
. "$(dirname "$0")/apt.sh"

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  say "chromium: $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null | head -n 1))"
  exit 0
fi
apt_install --no-install-recommends chromium
[ -x "$CHROMIUM" ] || die "the chromium package installed no $CHROMIUM"
say "chromium: $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null | head -n 1))"
