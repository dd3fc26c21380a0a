#!/usr/bin/env bash
# One command from a fresh clone: install, build, make a small sample capture (the
# project generates it itself, deterministically), and run the main job on it:
# `decnet-sensor read` printing DECNET JSON records, then the per-connection JA4 view.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
npm run build
mkdir -p bench/out
node dist/bench/generate-capture.js --packets 20000 --seed 1 --out bench/out/sample.pcap
echo "== decnet-sensor read bench/out/sample.pcap (first 5 records) =="
node bin/decnet-sensor.js read bench/out/sample.pcap | head -n 5
echo "== decnet-sensor read --format ja4 bench/out/sample.pcap (first 5 connections) =="
node bin/decnet-sensor.js read --format ja4 bench/out/sample.pcap | head -n 5
