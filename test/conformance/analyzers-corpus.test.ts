/**
 * Conformance of the analyzers beyond TLS-over-TCP over every capture of
 * ../shared/corpus/ja4: JA4T, JA4L, QUIC JA4 and SNI (and, as analyzers land, SSH and
 * HTTP), record by record against *.expected.json. Kinds not implemented yet are listed
 * in PENDING and skipped by kind, never by file.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { corpusDir, skipWithoutCorpus } from "../helpers/shared.js";
import { ConnectionIndex, captureNames, loadExpected, runEngineOn } from "./corpus.js";

const dir = corpusDir();
const captures = dir === undefined ? [] : captureNames(dir, readdirSync(dir));

/** Reference keys compared here, per transport. */
const TCP_KINDS = ["ja4t", "ja4l_c", "ja4l_s"] as const;
const UDP_KINDS = ["ja4", "tls_server_name"] as const;

describe("analyzers conformance (corpus)", { skip: skipWithoutCorpus() }, () => {
  const counts = new Map<string, { matched: number; total: number }>();
  const count = (k: string, ok: boolean) => {
    const c = counts.get(k) ?? { matched: 0, total: 0 };
    c.total++;
    if (ok) c.matched++;
    counts.set(k, c);
  };

  for (const name of captures) {
    test(name, async () => {
      const run = await runEngineOn(join(dir!, name));
      const ours = new ConnectionIndex(run.records);
      const problems: string[] = [];
      for (const exp of loadExpected(dir!, name)) {
        const got = ours.find(exp) as Record<string, unknown> | undefined;
        const kinds = exp.transport === "tcp" ? TCP_KINDS : UDP_KINDS;
        for (const k of kinds) {
          if (exp[k] === undefined) continue;
          const ok = exp[k] === got?.[k];
          count(`${exp.transport} ${k}`, ok);
          if (!ok)
            problems.push(
              `${name} ${exp.transport} stream ${exp.stream} ${k}: expected ${exp[k]}, got ${got?.[k]}`,
            );
        }
      }
      assert.deepEqual(problems, [], problems.join("\n"));
    });
  }

  test("summary", () => {
    for (const [k, c] of [...counts].sort()) process.stdout.write(`# ${k}: ${c.matched}/${c.total}\n`);
    assert.ok(counts.size > 0);
  });
});
