/**
 * p0f agreement: for every client SYN that p0f 3.09b labelled in
 * ../shared/corpus/ja4/*.p0f.txt (`mod=syn`), the engine's tcp_syn_fingerprint event for
 * that connection carries the same p0f_label (OS and flavour) and p0f_distance. The test
 * reads p0f's log; it does not restate it.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { DEFAULT_P0F_FP_PATH, loadP0fDatabase } from "../../src/fingerprint/p0f/load-database.js";
import { corpusDir, skipWithoutCorpus } from "../helpers/shared.js";
import { parseP0fLog } from "../p0f/p0f-log.js";
import { normAddr } from "../tcp/helpers.js";
import { captureNames, runEngineOn } from "./corpus.js";

const dir = corpusDir();
const haveDb = existsSync(DEFAULT_P0F_FP_PATH);
const skip =
  skipWithoutCorpus() ||
  (haveDb ? false : `p0f database ${DEFAULT_P0F_FP_PATH} absent (apt-get install p0f)`);

describe("p0f agreement (corpus)", { skip }, () => {
  test("every SYN p0f labelled gets the same label and distance", async () => {
    const db = loadP0fDatabase();
    let compared = 0;
    const problems: string[] = [];
    for (const name of captureNames(dir!, readdirSync(dir!))) {
      const log = parseP0fLog(readFileSync(join(dir!, `${name}.p0f.txt`), "utf8")).filter(
        (r) => r.mod === "syn",
      );
      if (log.length === 0) continue;
      const run = await runEngineOn(join(dir!, name), db);
      const syns = run.observations.filter((o) => o.eventType === "tcp_syn_fingerprint");
      for (const r of log) {
        const o = syns.find(
          (s) =>
            `${normAddr(s.fields.src_ip)}/${s.fields.src_port}` === r.cli &&
            `${normAddr(s.fields.dst_ip)}/${s.fields.dst_port}` === r.srv,
        );
        compared++;
        if (o?.fields.p0f_label !== r.fields.os || o?.fields.p0f_distance !== r.fields.dist) {
          problems.push(
            `${name} ${r.cli} → ${r.srv}: p0f says ${r.fields.os} dist ${r.fields.dist}, we say ${o?.fields.p0f_label} dist ${o?.fields.p0f_distance}`,
          );
        }
      }
    }
    process.stdout.write(`# p0f agreement: ${compared - problems.length}/${compared} SYNs\n`);
    assert.ok(compared > 0);
    assert.deepEqual(problems, [], problems.join("\n"));
  });
});
