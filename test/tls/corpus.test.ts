/**
 * Conformance against the shared corpus: handshake bytes come from tshark's per-segment
 * TCP payloads (test/tls/tshark-streams.ts), go through our TlsHandshakeReader and
 * parsers, and our JA4, JA4S, SNI and JA4X records must equal the reference tool's
 * (*.expected.json); our JA3/JA3S must equal tshark's (*.tshark.json). TCP only: the
 * QUIC (udp) records belong to the QUIC analyzer.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseCertificateMessage } from "../../src/fingerprint/tls/certificate.js";
import { type ClientHello, parseClientHello } from "../../src/fingerprint/tls/client-hello.js";
import { TlsHandshakeReader } from "../../src/fingerprint/tls/handshake-reader.js";
import { ja3, ja3s } from "../../src/fingerprint/tls/ja3.js";
import { ja4 } from "../../src/fingerprint/tls/ja4.js";
import { ja4s } from "../../src/fingerprint/tls/ja4s.js";
import { ja4xRecord } from "../../src/fingerprint/tls/ja4x.js";
import { parseServerHello, type ServerHello } from "../../src/fingerprint/tls/server-hello.js";
import { parseX509 } from "../../src/fingerprint/tls/x509.js";
import { Counters } from "../../src/util/counters.js";
import { corpusDir, skipWithoutCorpus } from "../helpers/shared.js";
import { haveTshark, proxyPreambleLength, tcpStreams } from "./tshark-streams.js";

interface DirectionResult {
  /** Every ClientHello / ServerHello, in order (a HelloRetryRequest makes two). */
  clientHellos: (ClientHello | undefined)[];
  serverHellos: (ServerHello | undefined)[];
  certs: Record<string, string>[][];
}

/** Runs one direction's bytes through the reader, in pieces of `chunk` bytes. */
function analyse(data: Buffer, counters: Counters, chunk = 1400): DirectionResult {
  const res: DirectionResult = { clientHellos: [], serverHellos: [], certs: [] };
  const reader = new TlsHandshakeReader(
    (type, body) => {
      if (type === 1) res.clientHellos.push(parseClientHello(body, counters));
      else if (type === 2) res.serverHellos.push(parseServerHello(body, counters));
      else if (type === 11) {
        const msg = parseCertificateMessage(body, "auto", counters);
        if (msg === undefined) return;
        const recs: Record<string, string>[] = [];
        for (const der of msg.certificates) {
          const info = parseX509(der, counters);
          if (info !== undefined) recs.push(ja4xRecord(info));
        }
        res.certs.push(recs);
      }
    },
    { counters },
  );
  const start = proxyPreambleLength(data);
  for (let p = start; p < data.length; p += chunk) reader.push(data, p, Math.min(chunk, data.length - p));
  return res;
}

interface Tally {
  matched: number;
  total: number;
  failures: string[];
}
const kinds = [
  "ja4",
  "ja4s",
  "tls_server_name",
  "ja4x",
  "ja3",
  "ja3_full",
  "ja3s",
  "ja3s_full",
  "reassembly",
] as const;
type Kind = (typeof kinds)[number];
const tally = new Map<Kind, Tally>(kinds.map((k) => [k, { matched: 0, total: 0, failures: [] }]));
/** Reference records that only decryption can reproduce (listed, not failed). */
const needsDecryption: string[] = [];

function check(kind: Kind, capture: string, stream: number, expected: unknown, got: unknown): void {
  const t = tally.get(kind)!;
  t.total++;
  const e = JSON.stringify(expected);
  const g = JSON.stringify(got);
  if (e === g) t.matched++;
  else t.failures.push(`${kind} ${capture} stream ${stream}:\n  expected ${e}\n  got      ${g}`);
}

const dir = corpusDir();
const skip = skipWithoutCorpus() || (haveTshark() ? false : "tshark not installed");
if (dir !== undefined && !haveTshark())
  process.stderr.write("NOTICE: tshark absent; TLS corpus tests skipped\n");

describe("TLS corpus conformance", { skip }, () => {
  const captures = dir === undefined ? [] : readdirSync(dir).filter((f) => /\.(pcap|pcapng)$/.test(f));
  const counters = new Counters();

  for (const capture of captures) {
    test(capture, () => {
      const expected = JSON.parse(readFileSync(join(dir!, `${capture}.expected.json`), "utf8")) as Record<
        string,
        unknown
      >[];
      const oracle = JSON.parse(readFileSync(join(dir!, `${capture}.tshark.json`), "utf8")) as {
        streams: { transport: string; stream: number; packets: Record<string, unknown>[] }[];
      };
      const tcpExpected = expected.filter((r) => r.transport === "tcp");
      const needsStreams =
        tcpExpected.some((r) => "ja4" in r || "ja4s" in r || "tls_certs" in r) ||
        oracle.streams.some((s) => s.transport === "tcp" && s.packets.some((p) => "tls.handshake.ja3" in p));
      if (!needsStreams) return;
      const streams = tcpStreams(join(dir!, capture));
      const results = new Map<string, DirectionResult>();
      const resultFor = (stream: number, port: number): DirectionResult => {
        const key = `${stream}/${port}`;
        let r = results.get(key);
        if (r === undefined) {
          const s = streams.get(key);
          r = s === undefined ? { clientHellos: [], serverHellos: [], certs: [] } : analyse(s.data, counters);
          if (s !== undefined) {
            // The same bytes cut into odd small pushes must give the same messages.
            const summary = (d: DirectionResult) =>
              JSON.stringify([
                d.clientHellos.map((c) => c && ja4(c, "t").ja4_ro),
                d.serverHellos.map((h) => h && ja4s(h, "t").ja4s_r),
                d.certs,
              ]);
            check("reassembly", capture, stream, summary(r), summary(analyse(s.data, new Counters(), 61)));
          }
          results.set(key, r);
        }
        return r;
      };

      for (const rec of tcpExpected) {
        const stream = rec.stream as number;
        const client = resultFor(stream, rec.src_port as number);
        const server = resultFor(stream, rec.dst_port as number);
        // The reference tool takes the first hello of each side (a HelloRetryRequest included).
        const ch = client.clientHellos[0];
        const sh = server.serverHellos[0];
        if ("ja4" in rec) check("ja4", capture, stream, rec.ja4, ch && ja4(ch, "t").ja4);
        if ("tls_server_name" in rec || ch?.serverName !== undefined) {
          check("tls_server_name", capture, stream, rec.tls_server_name, ch?.serverName);
        }
        if ("ja4s" in rec) check("ja4s", capture, stream, rec.ja4s, sh && ja4s(sh, "t").ja4s);
        const expCerts = ((rec.tls_certs as { x509: unknown[] }[] | undefined) ?? []).map((c) => c.x509);
        const ours = [...client.certs, ...server.certs];
        if (expCerts.length > 0 && ours.length === 0 && sh?.selectedVersion === 0x0304) {
          // TLS 1.3 sends its Certificate encrypted; the reference read it only because tshark
          // decrypted with the secrets embedded in the pcapng. Needs decryption (DESIGN §3).
          needsDecryption.push(`ja4x ${capture} stream ${stream}: ${expCerts.length} certificate message(s)`);
        } else if (expCerts.length > 0 || ours.length > 0) {
          check("ja4x", capture, stream, expCerts, ours);
        }
      }
      // No JA4 where the reference has none (false positives on non-TLS streams).
      const withJa4 = new Set(tcpExpected.filter((r) => "ja4" in r).map((r) => `${r.stream}/${r.src_port}`));
      for (const [key, s] of streams) {
        if (withJa4.has(key)) continue;
        const first = resultFor(s.stream, s.srcPort).clientHellos[0];
        if (first !== undefined) check("ja4", capture, s.stream, undefined, ja4(first, "t").ja4);
      }

      for (const s of oracle.streams) {
        if (s.transport !== "tcp") continue;
        // tshark reports JA3/JA3S on every hello: the n-th frame with one is our n-th hello.
        const ja3Frames = s.packets.filter((p) => "tls.handshake.ja3" in p);
        ja3Frames.forEach((c, i) => {
          const ch = resultFor(s.stream, c.src_port as number).clientHellos[i];
          const got = ch && ja3(ch);
          check("ja3", capture, s.stream, c["tls.handshake.ja3"], got?.ja3);
          check("ja3_full", capture, s.stream, c["tls.handshake.ja3_full"], got?.ja3_full);
        });
        const ja3sFrames = s.packets.filter((p) => "tls.handshake.ja3s" in p);
        ja3sFrames.forEach((c, i) => {
          const sh = resultFor(s.stream, c.src_port as number).serverHellos[i];
          const got = sh && ja3s(sh);
          check("ja3s", capture, s.stream, c["tls.handshake.ja3s"], got?.ja3s);
          check("ja3s_full", capture, s.stream, c["tls.handshake.ja3s_full"], got?.ja3s_full);
        });
      }
    });
  }

  test("summary: every TCP record matches", () => {
    const lines: string[] = [];
    const failures: string[] = [];
    for (const [kind, t] of tally) {
      lines.push(`${kind.padEnd(16)} ${t.matched}/${t.total}`);
      failures.push(...t.failures);
    }
    process.stdout.write(`TLS conformance (records matched/total):\n  ${lines.join("\n  ")}\n`);
    if (needsDecryption.length > 0) {
      process.stdout.write(`left out, need TLS decryption:\n  ${needsDecryption.join("\n  ")}\n`);
    }
    process.stdout.write(`parser counters: ${JSON.stringify(counters.toJSON())}\n`);
    assert.ok(tally.get("ja4")!.total > 0, "no JA4 record was checked");
    assert.deepEqual(failures, [], failures.join("\n"));
  });
});
