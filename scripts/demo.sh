#!/usr/bin/env bash
# One command from a fresh clone: install, build, make a small sample capture (the
# project generates it itself, deterministically), and run the main job on it:
# `decnet-sensor read` writing DECNET JSON records, then the per-connection JA4 view.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
npm run build
mkdir -p bench/out
node dist/bench/generate-capture.js --packets 20000 --seed 1 --out bench/out/sample.pcap >/dev/null
echo "== decnet-sensor read bench/out/sample.pcap > bench/out/sample.json =="
node bin/decnet-sensor.js read bench/out/sample.pcap > bench/out/sample.json
echo "== observations by event type =="
node -e '
  const n = {};
  for (const l of require("fs").readFileSync("bench/out/sample.json", "utf8").split("\n"))
    if (l) { const t = JSON.parse(l).event_type; n[t] = (n[t] || 0) + 1; }
  for (const [t, c] of Object.entries(n).sort()) console.log(String(c).padStart(7), t);'
echo "== one record of each kind (tls_session, ssh_fingerprint, http_request_fingerprint) =="
for t in tls_session ssh_fingerprint http_request_fingerprint; do grep -m 1 "\"event_type\":\"$t\"" bench/out/sample.json; done
echo "== decnet-sensor read --format ja4 (first 3 connections with a TLS handshake) =="
node bin/decnet-sensor.js read --format ja4 --no-summary bench/out/sample.pcap | grep -m 3 '"ja4"'
