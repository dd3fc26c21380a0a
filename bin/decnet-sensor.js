#!/usr/bin/env node
// Entry point: the bundled CLI (run `npm run build` first).
import("../dist/decnet-sensor.mjs")
  .then((m) => m.main(process.argv))
  .catch((err) => {
    process.stderr.write(`decnet-sensor: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
