#!/usr/bin/env node
// Entry point: the compiled CLI (run `npm run build` first).
import("../dist/src/cli/main.js")
  .then((m) => m.main(process.argv))
  .catch((err) => {
    process.stderr.write(`decnet-sensor: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
