#!/usr/bin/env bash
# Prepares a checkout to run: Debian packages (when root), node modules, the build.
# Usage: scripts/setup.sh [--test]   (--test adds what the test suite needs)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1m[octavius setup]\033[0m %s\n' "$*"; }

# --- Debian packages ---------------------------------------------------------------------------
# The data plane: amphorae are network namespaces running HAProxy (and keepalived) from Debian.
packages=(haproxy keepalived iproute2 nftables)
if [ "$want_test" = 1 ]; then
  # The real OpenStack clients the CLI and SDK tests drive.
  packages+=(python3-openstackclient python3-octaviaclient python3-openstacksdk)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Keep packaged daemons from starting with their default configuration during the install.
    created_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
    fi
    trap '[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
    apt-get update -qq || apt-get update
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    say "missing Debian packages (run as root to install them): ${missing[*]}"
  fi
fi

# --- node modules: npm ci when the lockfile changed since the last install ----------------------
stamp=node_modules/.octavius-lock-hash
hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
  say "installing node modules (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$hash" >"$stamp"
fi

# --- build -----------------------------------------------------------------------------------------
say "building"
npx tsc -p tsconfig.build.json
chmod +x dist/cli/main.js
