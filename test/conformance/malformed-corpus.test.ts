/**
 * The malformed captures of the corpus are read to the end through the whole engine:
 * every frame reaches it (frame counts from the captures' own record framing, checked
 * against tshark elsewhere) and nothing throws.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { corpusDir, skipWithoutCorpus } from "../helpers/shared.js";
import { runEngineOn } from "./corpus.js";

const MALFORMED = [
  "CVE-2018-6794.pcap",
  "badcurveball.pcap",
  "ssh2-malformed.pcap",
  "ssh2-moloch-crash.pcap",
];
const haveTshark = spawnSync("tshark", ["--version"]).status === 0;

describe("malformed corpus captures", { skip: skipWithoutCorpus() }, () => {
  for (const name of MALFORMED) {
    test(`${name} is read to the end`, async () => {
      const run = await runEngineOn(join(corpusDir()!, name));
      assert.ok(run.engine.packets > 0);
      if (haveTshark) {
        const r = spawnSync(
          "tshark",
          ["-r", join(corpusDir()!, name), "-T", "fields", "-e", "frame.number"],
          { encoding: "utf8" },
        );
        const frames = r.stdout.trim().split("\n").length;
        assert.equal(run.engine.packets, frames);
      }
    });
  }
});
