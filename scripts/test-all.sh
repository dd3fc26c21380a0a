#!/usr/bin/env bash
# The project's one test command (README "Run every test"; .ci/run calls exactly this).
# Installs what is missing (Debian packages, npm ci), then lint + type check + every test.
# Tests that need ../shared find it through DECNET_SHARED_DIR (default ../shared) and skip
# with a notice when it is absent. NATS tests start their own nats-server on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg_bin in tshark:tshark tcpdump:tcpdump p0f:p0f nats-server:nats-server time:/usr/bin/time openssl:openssl; do
  pkg=${pkg_bin%%:*}; bin=${pkg_bin#*:}
  command -v "$bin" >/dev/null 2>&1 || [ -x "$bin" ] || [ -x "/usr/sbin/$bin" ] || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "missing Debian packages (tests needing them will skip): ${need[*]} — run as root or: sudo apt-get install ${need[*]}" >&2
  fi
fi

npm ci --no-audit --no-fund
npm run build
npm run lint
npm test
