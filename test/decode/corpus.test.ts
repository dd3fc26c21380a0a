/**
 * Corpus conformance: every frame of every capture in ../shared/corpus/ja4 is decoded,
 * and the innermost addresses and ports of each TCP/UDP frame equal tshark's (run here,
 * and the stored *.tshark.json oracle made with tshark 4.0.17).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readCapture } from "../../src/capture/file-source.js";
import { formatAddress } from "../../src/decode/address.js";
import { Decoder } from "../../src/decode/decoder.js";
import { newDecodedPacket } from "../../src/decode/packet.js";
import { corpusDir, skipWithoutCorpus } from "../helpers/shared.js";
import { skipWithoutTshark, tsharkInnermost } from "./tshark.js";

interface Seen {
  ok: boolean;
  transport: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  tunnelDepth: number;
  tunnelKey: number;
}

async function decodeFile(path: string): Promise<{ frames: Seen[]; dec: Decoder }> {
  const dec = new Decoder();
  const out = newDecodedPacket();
  const frames: Seen[] = [];
  const res = await readCapture(path, (f) => {
    const ok = dec.decode(f, out);
    frames.push(
      ok
        ? {
            ok,
            transport: out.protocol === 6 ? "tcp" : "udp",
            src: formatAddress(out.buf, out.srcOff, out.ipVersion),
            dst: formatAddress(out.buf, out.dstOff, out.ipVersion),
            sport: out.srcPort,
            dport: out.dstPort,
            tunnelDepth: out.tunnelDepth,
            tunnelKey: out.tunnelKey,
          }
        : { ok, transport: "", src: "", dst: "", sport: 0, dport: 0, tunnelDepth: 0, tunnelKey: 0 },
    );
  });
  assert.equal(res.error, undefined, `${path}: ${res.error}`);
  return { frames, dec };
}

const dir = corpusDir();
const captures =
  dir === undefined
    ? []
    : readdirSync(dir)
        .filter((n) => /\.(pcap|pcapng)$/.test(n))
        .sort();

describe("corpus: decoder vs tshark", { skip: skipWithoutCorpus() }, () => {
  test("the corpus is there", () => {
    assert.ok(captures.length >= 25, `${captures.length} captures`);
  });

  for (const name of captures) {
    const path = join(dir ?? "", name);

    test(`${name}: stored tshark oracle (*.tshark.json)`, async () => {
      const { frames } = await decodeFile(path);
      const oracle = JSON.parse(readFileSync(`${path}.tshark.json`, "utf8")) as {
        streams: Array<{
          transport: string;
          packets: Array<{ frame: number; src: string; dst: string; src_port: number; dst_port: number }>;
        }>;
      };
      let checked = 0;
      for (const s of oracle.streams) {
        for (const p of s.packets) {
          const got = frames[p.frame - 1];
          const where = `${name} frame ${p.frame}`;
          assert.equal(got.ok, true, where);
          assert.deepEqual(
            [got.transport, got.src, got.dst, got.sport, got.dport],
            [s.transport, p.src, p.dst, Number(p.src_port), Number(p.dst_port)],
            where,
          );
          checked++;
        }
      }
      assert.ok(checked > 0 || oracle.streams.length === 0);
    });

    test(`${name}: every frame vs tshark`, { skip: skipWithoutTshark() }, async (t) => {
      const { frames, dec } = await decodeFile(path);
      const oracle = tsharkInnermost(path);
      assert.equal(frames.length, oracle.length, "frame count");
      let flows = 0;
      for (let i = 0; i < oracle.length; i++) {
        const want = oracle[i].flow;
        const got = frames[i];
        const where = `${name} frame ${i + 1} (${oracle[i].protocols})`;
        assert.equal(got.ok, want !== undefined, where);
        if (want === undefined) continue;
        flows++;
        assert.deepEqual(
          [got.transport, got.src, got.dst, got.sport, got.dport],
          [want.transport, want.src, want.dst, want.sport, want.dport],
          where,
        );
      }
      t.diagnostic(
        `${frames.length} frames, ${flows} TCP/UDP, counters ${JSON.stringify(dec.stats.toJSON())}`,
      );
    });
  }

  test("gre-erspan-vxlan.pcap: HTTP in VXLAN in ERSPAN in GRE decodes to the inner flow", async () => {
    const { frames } = await decodeFile(join(dir ?? "", "gre-erspan-vxlan.pcap"));
    assert.equal(frames.length, 7);
    for (const f of frames) {
      assert.equal(f.ok, true);
      assert.equal(f.tunnelDepth, 2);
      assert.deepEqual([f.transport, ...[f.src, f.dst].sort()], ["tcp", "10.16.27.12", "10.16.27.131"]);
    }
    assert.equal(new Set(frames.map((f) => f.tunnelKey)).size, 1, "one tunnel, both directions");
  });

  test("tcpdump-geneve.pcap: SSH in Geneve decodes to the inner flow, ICMP is not analysed", async () => {
    const { frames, dec } = await decodeFile(join(dir ?? "", "tcpdump-geneve.pcap"));
    const tcp = frames.filter((f) => f.ok);
    assert.equal(tcp.length, 33);
    for (const f of tcp) {
      assert.equal(f.tunnelDepth, 1);
      assert.equal(f.transport, "tcp");
      assert.ok([f.sport, f.dport].includes(22));
      assert.deepEqual([f.src, f.dst].sort(), ["30.0.0.1", "30.0.0.2"]);
    }
    assert.equal(dec.stats.get("other.ip_proto"), 6);
  });
});
