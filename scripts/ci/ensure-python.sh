#!/usr/bin/env bash
# Makes every Python the tests need runnable by the process backend's sandbox users.
# As root, the process backend runs each instance as an unprivileged uid (README "Security model").
# Debian bookworm packages Python 3.11 (/usr/bin/python3.11) but not 3.12; on these machines 3.12
# comes from pyenv under /root, which is 0700 and so out of the sandbox users' reach. Rather than
# open /root, install a relocated copy at a system path: /opt/hotswap/python<ver>, its runtime
# library found through $ORIGIN (patchelf), linked as /usr/local/bin/python<ver>.
set -euo pipefail
say() { printf 'ensure-python: %s\n' "$*"; }
die() { printf 'ensure-python: %s\n' "$*" >&2; exit 1; }
# shellcheck source=apt.sh
. "$(dirname "$0")/apt.sh"

runs_as_nobody() { su nobody -s /bin/sh -c "'$1' -c 'import ssl, json'" >/dev/null 2>&1; }

for ver in 3.12; do
  if [ -x "/usr/local/bin/python$ver" ] && runs_as_nobody "/usr/local/bin/python$ver"; then
    say "python$ver: /usr/local/bin/python$ver"
    continue
  fi
  if [ -x "/usr/bin/python$ver" ] && runs_as_nobody "/usr/bin/python$ver"; then
    say "python$ver: /usr/bin/python$ver"
    continue
  fi
  [ "$(id -u)" = 0 ] || { say "python$ver: not installed for other users and not root; its tests run only where it is"; continue; }
  root="${PYENV_ROOT:-/root/.pyenv}"
  src="$(ls -d "$root"/versions/"$ver".* 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$src" ] && [ -x "$src/bin/python$ver" ] || die "python$ver is not installed (no $root/versions/$ver.*) and Debian bookworm does not package it"
  command -v patchelf >/dev/null || apt_install patchelf
  dest="/opt/hotswap/python$ver"
  say "python$ver: relocating $src to $dest"
  rm -rf "$dest.tmp" && mkdir -p /opt/hotswap && cp -a "$src" "$dest.tmp"
  patchelf --set-rpath '$ORIGIN/../lib' "$dest.tmp/bin/python$ver"
  chmod -R go+rX "$dest.tmp"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
  ln -sfn "$dest/bin/python$ver" "/usr/local/bin/python$ver"
  runs_as_nobody "/usr/local/bin/python$ver" || die "python$ver at $dest does not run as another user"
  say "python$ver: /usr/local/bin/python$ver"
done
