// Test-only entry point for the CLI (src/cli/main.ts only exports main()). Mirrors bin/decnet-sensor.js.
import { main } from "../../../src/cli/main.js";

main(process.argv).catch((err: unknown) => {
  process.stderr.write(`decnet-sensor: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
