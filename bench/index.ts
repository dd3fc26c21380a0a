/**
 * `npm run bench`: the read benchmark, then the bus benchmark when bench/bus-bench.ts exists.
 * Prints every section and rewrites the "## Read" section of bench/RESULTS.md, keeping the
 * other sections (the bus benchmark owns its own).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { replaceSection, repoRoot, runReadBench } from "./read-bench.js";

const HEADING = "## Read";

async function busSection(): Promise<string | undefined> {
  const here = dirname(fileURLToPath(import.meta.url));
  const compiled = join(here, "bus-bench.js");
  const source = join(here, "bus-bench.ts");
  if (
    !existsSync(compiled) &&
    !existsSync(source) &&
    !existsSync(join(repoRoot(), "bench", "bus-bench.ts"))
  ) {
    return undefined;
  }
  try {
    // A variable specifier: the module is someone else's and may not exist yet.
    const spec = existsSync(compiled) ? "./bus-bench.js" : "./bus-bench.ts";
    const mod: unknown = await import(spec);
    const run = (mod as { runBusBench?: unknown }).runBusBench;
    if (typeof run !== "function") return "## Bus\n\nbench/bus-bench does not export runBusBench().\n";
    const out: unknown = await (run as () => Promise<unknown>)();
    return typeof out === "string" ? out : undefined;
  } catch (err) {
    return `## Bus\n\nThe bus benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`;
  }
}

const read = await runReadBench();
process.stdout.write(`${read}\n`);
const resultsPath = join(repoRoot(), "bench", "RESULTS.md");
const doc = existsSync(resultsPath) ? readFileSync(resultsPath, "utf8") : "";
writeFileSync(resultsPath, replaceSection(doc, HEADING, read));
process.stderr.write(`updated the "${HEADING}" section of ${resultsPath}\n`);

const bus = await busSection();
if (bus !== undefined) process.stdout.write(`${bus}\n`);
