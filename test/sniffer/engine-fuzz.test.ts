/**
 * Hostile input through the whole engine: mutated corpus frames and random frames,
 * in sequence (so flows, reassembly and analyzers hold state between them), never
 * throw and keep the flow table and reassembly budget within their bounds.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { readCapture } from "../../src/capture/file-source.js";
import type { CapturedFrame } from "../../src/capture/types.js";
import { SnifferEngine } from "../../src/sniffer/engine.js";
import { corpusDir, skipWithoutCorpus } from "../helpers/shared.js";

interface Sample {
  linktype: number;
  tsUs: number;
  data: Buffer;
}

async function corpusFrames(): Promise<Sample[]> {
  const dir = corpusDir();
  if (dir === undefined) return [];
  const out: Sample[] = [];
  for (const name of readdirSync(dir).filter((n) => /\.(pcap|pcapng)$/.test(n))) {
    await readCapture(join(dir, name), (f) => {
      if (out.length < 20000) {
        out.push({
          linktype: f.linktype,
          tsUs: f.tsUs,
          data: Buffer.from(f.data.subarray(f.offset, f.offset + f.length)),
        });
      }
    });
  }
  return out;
}

function frame(s: Sample, data: Buffer): CapturedFrame {
  return {
    linktype: s.linktype,
    tsUs: s.tsUs,
    data,
    offset: 0,
    length: data.length,
    origLen: data.length,
    interfaceId: 0,
  };
}

describe("engine fuzz", () => {
  test("mutated corpus frames, in order, never throw; tables stay bounded", {
    skip: skipWithoutCorpus(),
  }, async () => {
    const frames = await corpusFrames();
    assert.ok(frames.length > 1000);
    let fed = 0;
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 4 })),
          {
            minLength: 50,
            maxLength: 400,
          },
        ),
        (muts) => {
          const engine = new SnifferEngine({
            onObservation: () => {},
            onFlowRecord: () => {},
            flowTable: { maxFlows: 64, maxBufferedBytes: 256 * 1024 },
          });
          for (const [pick, pos, val, kind] of muts) {
            const s = frames[pick % frames.length];
            const d = Buffer.from(s.data);
            if (d.length > 0) {
              const at = pos % d.length;
              if (kind === 0) d[at] = val;
              else if (kind === 1) d[at] ^= 1 << (val & 7);
              else if (kind === 2) d.length >= 2 && d.writeUInt16BE(val * 257, Math.min(at, d.length - 2));
            }
            const cut = kind === 3 ? d.subarray(0, pos % (d.length + 1)) : d;
            engine.handleFrame(frame(s, cut));
            fed++;
          }
          engine.finish();
          assert.ok(engine.table.size === 0);
          assert.equal(engine.table.budget.used, 0);
        },
      ),
      { seed: 20261128, numRuns: 1600 },
    );
    assert.ok(fed >= 100000, `fed ${fed}`);
  });

  test("random frames under every link type never throw", () => {
    const engine = new SnifferEngine({
      onObservation: () => {},
      onFlowRecord: () => {},
      flowTable: { maxFlows: 128 },
    });
    let n = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 101, 108, 113, 228, 229, 276),
        fc.uint8Array({ maxLength: 300 }),
        (lt, bytes) => {
          const s = { linktype: lt, tsUs: 1_700_000_000_000_000 + n++ * 1000, data: Buffer.from(bytes) };
          engine.handleFrame(frame(s, s.data));
          assert.ok(engine.table.size <= 128);
        },
      ),
      { seed: 99, numRuns: 50000 },
    );
    engine.finish();
  });
});
