/**
 * TLS conformance over every capture of ../shared/corpus/ja4: our ja4, ja4s,
 * tls_server_name and every ja4x equal the reference tool's records
 * (*.expected.json), and our JA3/JA3S hashes and full strings equal tshark's
 * (*.tshark.json). QUIC records (transport udp) come with the analyzers issue and are
 * skipped here by kind, never by file.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { corpusDir, skipWithoutCorpus } from "../helpers/shared.js";
import {
  ConnectionIndex,
  captureNames,
  type EngineRun,
  loadExpected,
  loadTshark,
  observationsOf,
  runEngineOn,
} from "./corpus.js";

const dir = corpusDir();
const captures = dir === undefined ? [] : captureNames(dir, readdirSync(dir));
const TLS_KEYS = ["tls_server_name", "ja4", "ja4s"] as const;

function x509List(rec: Record<string, unknown> | undefined): string[] | undefined {
  const certs = rec?.tls_certs as { x509: { ja4x: string }[] }[] | undefined;
  return certs?.map((c) => c.x509.map((x) => x.ja4x).join(" "));
}

describe("TLS conformance (corpus)", { skip: skipWithoutCorpus() }, () => {
  const totals = { records: 0, mismatches: 0, ja3: 0, ja3s: 0 };

  for (const name of captures) {
    test(name, async () => {
      const run: EngineRun = await runEngineOn(join(dir!, name));
      const ours = new ConnectionIndex(run.records);
      const problems: string[] = [];

      for (const exp of loadExpected(dir!, name)) {
        if (exp.transport !== "tcp") continue; // QUIC: analyzers issue
        const hasTls = TLS_KEYS.some((k) => exp[k] !== undefined) || exp.tls_certs !== undefined;
        if (!hasTls) continue;
        totals.records++;
        const got = ours.find(exp) as Record<string, unknown> | undefined;
        for (const k of TLS_KEYS) {
          if (exp[k] !== got?.[k])
            problems.push(`${name} tcp stream ${exp.stream} ${k}: expected ${exp[k]}, got ${got?.[k]}`);
        }
        const ex = x509List(exp);
        const gx = x509List(got);
        if (JSON.stringify(ex) !== JSON.stringify(gx)) {
          problems.push(
            `${name} tcp stream ${exp.stream} ja4x: expected ${JSON.stringify(ex)}, got ${JSON.stringify(gx)}`,
          );
        }
        if (exp.tls_certs !== undefined && JSON.stringify(exp.tls_certs) !== JSON.stringify(got?.tls_certs)) {
          problems.push(
            `${name} tcp stream ${exp.stream} tls_certs entries: expected ${JSON.stringify(exp.tls_certs)}, got ${JSON.stringify(got?.tls_certs)}`,
          );
        }
        // Addresses of the connection as the reference oriented it.
        for (const k of ["src", "dst", "src_port", "dst_port"] as const) {
          if (exp[k] !== got?.[k])
            problems.push(`${name} tcp stream ${exp.stream} ${k}: expected ${exp[k]}, got ${got?.[k]}`);
        }
      }

      // JA3/JA3S against tshark: every ClientHello / ServerHello tshark fingerprinted in a
      // TCP stream, in order, equals our tls_client_hello / tls_session observations of
      // that connection (a HelloRetryRequest gives two of each).
      for (const s of loadTshark(dir!, name)) {
        if (s.transport !== "tcp") continue;
        const first = s.packets[0];
        const hellos = observationsOf(run, "tls_client_hello", first);
        const sessions = observationsOf(run, "tls_session", first);
        let ci = 0;
        let si = 0;
        for (const p of s.packets) {
          if (p["tls.handshake.ja3"] !== undefined) {
            totals.ja3++;
            const o = hellos[ci++];
            for (const [tk, ok] of [
              ["tls.handshake.ja3", "ja3"],
              ["tls.handshake.ja3_full", "ja3_full"],
            ] as const) {
              if (p[tk] !== o?.[ok])
                problems.push(
                  `${name} tcp stream ${s.stream} frame ${p.frame} ${ok}: expected ${p[tk]}, got ${o?.[ok]}`,
                );
            }
          }
          if (p["tls.handshake.ja3s"] !== undefined) {
            totals.ja3s++;
            const o = sessions[si++];
            for (const [tk, ok] of [
              ["tls.handshake.ja3s", "ja3s"],
              ["tls.handshake.ja3s_full", "ja3s_full"],
            ] as const) {
              if (p[tk] !== o?.[ok])
                problems.push(
                  `${name} tcp stream ${s.stream} frame ${p.frame} ${ok}: expected ${p[tk]}, got ${o?.[ok]}`,
                );
            }
          }
        }
      }
      totals.mismatches += problems.length;
      assert.deepEqual(problems, [], problems.join("\n"));
    });
  }

  test("summary", () => {
    process.stdout.write(
      `# TLS conformance: ${totals.records} TLS records, ${totals.ja3} JA3 and ${totals.ja3s} JA3S tshark values compared, ${totals.mismatches} mismatches\n`,
    );
    assert.ok(captures.length >= 25, `expected the 25 corpus captures, found ${captures.length}`);
    assert.ok(totals.records > 0);
  });
});
