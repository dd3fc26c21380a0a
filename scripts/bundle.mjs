#!/usr/bin/env node
// Bundles the CLI into one ES module (dist/decnet-sensor.mjs): one file to load instead of
// dozens halves the start-up time of every command. `nats` stays external (loaded on use).
import { build } from "esbuild";

await build({
  entryPoints: [new URL("../src/cli/main.ts", import.meta.url).pathname],
  outfile: new URL("../dist/decnet-sensor.mjs", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  external: ["nats"],
  logLevel: "warning",
  // CommonJS dependencies (commander) call require(); give the ES module bundle one.
  banner: {
    js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
  },
});
