import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (two levels above this file). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Location of the read-only shared folder (corpus, oracle). Set DECNET_SHARED_DIR to
 * override; defaults to ../shared beside the checkout. Returns undefined (and prints a
 * notice once) when it is absent, so tests that need it can skip while the project's
 * own fixtures still run.
 */
export function sharedDir(): string | undefined {
  const dir = resolve(process.env.DECNET_SHARED_DIR ?? join(REPO_ROOT, "..", "shared"));
  if (existsSync(join(dir, "corpus"))) return dir;
  if (!noticed) {
    noticed = true;
    process.stderr.write(
      `NOTICE: shared corpus not found at ${dir} (set DECNET_SHARED_DIR); corpus tests are skipped\n`,
    );
  }
  return undefined;
}
let noticed = false;

/** The JA4 corpus folder, or undefined when ../shared is absent. */
export function corpusDir(): string | undefined {
  const s = sharedDir();
  return s === undefined ? undefined : join(s, "corpus", "ja4");
}

/** Skip option for node:test when the shared corpus is missing. */
export function skipWithoutCorpus(): string | false {
  return corpusDir() === undefined ? "shared corpus absent (set DECNET_SHARED_DIR)" : false;
}
