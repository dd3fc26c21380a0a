// Development entry point: `node --import tsx src/cli/run.ts <command> ...` (no build needed).
import { main } from "./main.js";

main(process.argv).catch((err: unknown) => {
  process.stderr.write(`decnet-sensor: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
