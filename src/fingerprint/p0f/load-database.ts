/**
 * Loads the p0f signature database from disk (startup only; the parser itself is pure).
 * Default path: p0f's packaged database, /etc/p0f/p0f.fp. Nothing from p0f is vendored.
 */
import { readFileSync } from "node:fs";
import { formatP0fErrors, type P0fDatabase, parseP0fDatabase } from "./signature-file.js";

export const DEFAULT_P0F_FP_PATH = "/etc/p0f/p0f.fp";

/** Largest database accepted (the stock one is ~40 KB). */
export const MAX_P0F_FP_BYTES = 4 * 1024 * 1024;

export class P0fDatabaseError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly errors: ReadonlyArray<{ line: number; message: string }> = [],
  ) {
    super(message);
    this.name = "P0fDatabaseError";
  }
}

/**
 * Reads and parses a p0f.fp file. Throws P0fDatabaseError when it cannot be read or has any
 * error; the message lists every error as `path:line: what is wrong`.
 */
export function loadP0fDatabase(path: string = DEFAULT_P0F_FP_PATH): P0fDatabase {
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > MAX_P0F_FP_BYTES) {
      throw new P0fDatabaseError(`${path}: file too large (${buf.length} bytes)`, path);
    }
    text = buf.toString("latin1");
  } catch (e) {
    if (e instanceof P0fDatabaseError) throw e;
    throw new P0fDatabaseError(`${path}: cannot read p0f database: ${(e as Error).message}`, path);
  }
  const { database, errors } = parseP0fDatabase(text, path);
  if (errors.length > 0) {
    throw new P0fDatabaseError(
      `${path}: ${errors.length} error(s) in p0f database:\n${formatP0fErrors(path, errors)}`,
      path,
      errors,
    );
  }
  return database;
}
