/**
 * HTTP/2 + HPACK on real browser traffic: the corpus' HTTP/2-over-TLS captures carry their
 * TLS secrets, so tshark (an independent tool) can hand us the decrypted client byte
 * stream ("follow,tls,raw"). Our Http2ClientReader and JA4H must then give the reference
 * tool's `http` lists from `*.expected.json`. Decryption itself is not ours (DESIGN §3).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { HTTP2_PREFACE, Http2ClientReader } from "../../src/fingerprint/http/http2.js";
import { ja4h } from "../../src/fingerprint/http/ja4h.js";
import { Counters } from "../../src/util/counters.js";
import { corpusDir, skipWithoutCorpus } from "../helpers/shared.js";
import { skipWithoutTshark } from "../ssh/tshark-streams.js";

const CASES: Array<[capture: string, stream: number]> = [
  ["http2-with-cookies.pcapng", 0],
  ["chrome-cloudflare-quic-with-secrets.pcapng", 0],
];

/** Decrypted client-to-server pieces of a TLS stream, per tshark. */
function decryptedClientPieces(file: string, stream: number): Buffer[] {
  const r = spawnSync("tshark", ["-n", "-r", file, "-q", "-z", `follow,tls,raw,${stream}`], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const lines = r.stdout.split("\n").filter((l) => /^\t?[0-9a-f]+$/.test(l));
  // follow prints one side indented; the client side is the one opening with the preface.
  const sides = [lines.filter((l) => l.startsWith("\t")), lines.filter((l) => !l.startsWith("\t"))].map(
    (ls) => ls.map((l) => Buffer.from(l.trim(), "hex")),
  );
  return sides.find((s) => s.length > 0 && s[0].subarray(0, 24).equals(HTTP2_PREFACE)) ?? [];
}

const skip = skipWithoutCorpus() || skipWithoutTshark();

describe("JA4H conformance (HTTP/2 inside TLS, decrypted by tshark)", { skip }, () => {
  let matched = 0;
  let total = 0;
  for (const [capture, stream] of CASES) {
    test(`${capture} stream ${stream}`, () => {
      const file = join(corpusDir()!, capture);
      const expected = JSON.parse(readFileSync(`${file}.expected.json`, "utf8")) as {
        stream: number;
        transport: string;
        http?: { ja4h: string }[];
      }[];
      const want =
        expected.find((r) => r.transport === "tcp" && r.stream === stream)?.http?.map((h) => h.ja4h) ?? [];
      const got: string[] = [];
      const reader = new Http2ClientReader(
        (req) => {
          const fp = ja4h(req);
          if (fp !== undefined) got.push(fp.ja4h);
        },
        { counters: new Counters() },
      );
      const pieces = decryptedClientPieces(file, stream);
      assert.ok(pieces.length > 0, "tshark gave no decrypted client data");
      for (const p of pieces) reader.push(p, 0, p.length);
      for (let i = 0; i < Math.max(want.length, got.length); i++) {
        total++;
        if (want[i] === got[i]) matched++;
      }
      assert.deepEqual(got, want, `${capture} stream ${stream}`);
      // Chrome's well-known Akamai fingerprint (SETTINGS incl. MAX_CONCURRENT_STREAMS 1000).
      assert.equal(reader.akamai, "1:65536;2:0;3:1000;4:6291456;6:262144|15663105|0|m,a,s,p");
    });
  }
  test("summary", () => {
    process.stdout.write(`# ja4h conformance (HTTP/2 in TLS): ${matched}/${total}\n`);
    assert.ok(total > 0);
  });
});
