/**
 * JA4H conformance on the shared corpus: per-direction stream bytes come from tshark (not
 * from our flow code), expected values from the reference tool's `*.expected.json`.
 * HTTP inside TLS is out of scope (DESIGN §3); see http2-corpus.test.ts for the TLS ones.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Http1RequestReader } from "../../src/fingerprint/http/http1-request.js";
import { ja4h } from "../../src/fingerprint/http/ja4h.js";
import type { HttpRequest } from "../../src/fingerprint/http/request.js";
import { Counters } from "../../src/util/counters.js";
import { corpusDir, skipWithoutCorpus } from "../helpers/shared.js";
import { freshData, skipWithoutTshark, type TcpStream, tcpStreams } from "../ssh/tshark-streams.js";

const CAPTURES = [
  "http1.pcapng",
  "http1-with-cookies.pcapng",
  "single-packets.pcap",
  "CVE-2018-6794.pcap",
  "tls3.pcapng",
  "https-connect.pcap",
  "gre-erspan-vxlan.pcap",
];

interface ExpectedRecord {
  stream: number;
  transport: string;
  http?: { ja4h: string }[];
}

/** JA4H of every request in every direction of a stream (responses give up at once). */
function streamJa4h(s: TcpStream): string[] {
  const out: string[] = [];
  const readers = new Map<string, Http1RequestReader>();
  const counters = new Counters();
  for (const { segment, fresh } of freshData(s)) {
    if (fresh.length === 0) continue;
    const key = `${segment.src}|${segment.srcPort}`;
    let r = readers.get(key);
    if (r === undefined) {
      r = new Http1RequestReader(
        (req: HttpRequest) => {
          const fp = ja4h(req);
          if (fp !== undefined) out.push(fp.ja4h);
        },
        { counters },
      );
      readers.set(key, r);
    }
    r.push(fresh, 0, fresh.length);
  }
  return out;
}

const skip = skipWithoutCorpus() || skipWithoutTshark();
let matched = 0;
let total = 0;
let requestsMatched = 0;
let requestsTotal = 0;

describe("JA4H corpus conformance (HTTP/1)", { skip }, () => {
  for (const name of CAPTURES) {
    test(name, () => {
      const file = join(corpusDir()!, name);
      const expected = JSON.parse(readFileSync(`${file}.expected.json`, "utf8")) as ExpectedRecord[];
      const byStream = new Map(expected.filter((r) => r.transport === "tcp").map((r) => [r.stream, r]));
      const mismatches: string[] = [];
      for (const [id, s] of tcpStreams(file)) {
        const rec = byStream.get(id);
        // None of these captures carries HTTP inside TLS (the out-of-scope case, DESIGN §3):
        // every expected JA4H is cleartext HTTP/1.
        const want = (rec?.http ?? []).map((h) => h.ja4h);
        const got = streamJa4h(s);
        if (want.length === 0 && got.length === 0) continue;
        total++;
        for (let k = 0; k < Math.max(want.length, got.length); k++) {
          requestsTotal++;
          if (want[k] === got[k]) requestsMatched++;
        }
        if (JSON.stringify(want) === JSON.stringify(got)) matched++;
        else
          mismatches.push(
            `${name} stream ${id}:\n  expected ${JSON.stringify(want)}\n  got      ${JSON.stringify(got)}`,
          );
      }
      assert.deepEqual(mismatches, []);
    });
  }

  test("summary", () => {
    process.stdout.write(`# ja4h conformance (streams with HTTP/1 requests): ${matched}/${total}\n`);
    process.stdout.write(`# ja4h conformance (HTTP/1 requests): ${requestsMatched}/${requestsTotal}\n`);
    assert.ok(total > 0);
  });
});
