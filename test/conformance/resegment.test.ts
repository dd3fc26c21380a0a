/**
 * Metamorphic property over the corpus: a TCP connection's fingerprints do not depend on
 * how its bytes were cut into segments, nor on the order the segments were captured in,
 * as long as every byte arrives (RFC 9293 §3.10.7.4: a receiver trims retransmitted and
 * overlapping bytes and queues segments beyond a hole; DESIGN §3: a ClientHello split over
 * segments, out of order, retransmitted, overlapping must still be reassembled).
 *
 * Every TCP connection with data in every corpus capture is pulled apart into its client
 * and server byte streams (first 64 KiB each, ISNs, endpoints, and for each stretch of
 * bytes how much of the other direction had arrived before it: test/helpers/tcp-streams.ts)
 * and played back as new frames, handshake first: once canonically (in capture order, one
 * segment per ≤ 1,460 bytes), and in variants drawn by fast-check with a fixed seed:
 *   cut         random segment sizes, 1 byte to 1,500 bytes
 *   reorder     + segments moved later by up to 8 places
 *   duplicate   + exact retransmissions of some segments
 *   overlap     + retransmissions of other byte ranges (the same bytes) overlapping segments
 *   interleave  + another causally plausible interleaving of the two directions
 *   combined    all of the above
 * In every variant a segment is sent only once the other direction has sent the bytes it
 * answered in the capture (the causal order), and the data of each direction follows the
 * handshake.
 *
 * Compared with the canonical run: the connection record's fingerprint keys and the
 * fingerprint observations. Left out, because they legitimately depend on packets, not
 * bytes: JA4SSH (counts packets), JA4T/JA4TS/JA4L and the RTT/TTL fields (TCP headers and
 * timing), tcp_flow_timing, retransmission counters, the SYN observation.
 *
 * The canonical run is anchored to the reference tool (*.expected.json): ja4, ja4s,
 * tls_server_name, JA4X, JA4H and the SSH extras wherever the reference has them.
 *
 * Every difference fails. (The test found three bugs when it was written, all fixed: an
 * HTTP request whose first segment came out of order lost its JA4H; TLS after a CONNECT or
 * SOCKS preamble cut into many segments was given up on; a record header starting in a
 * second short chunk held with the first was missed.)
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import fc from "fast-check";
import type { TlsKeyLog } from "../../src/fingerprint/tls/keylog.js";
import { corpusDir, skipWithoutCorpus } from "../helpers/shared.js";
import {
  CROSS_ORDER,
  canonical,
  type DirectionStream,
  diff,
  extractTcpConnections,
  KINDS,
  type PlayResult,
  type Prints,
  planArb,
  playConnection,
  printsOf,
  STREAM_LIMIT,
  type TcpConnection,
  variant,
} from "../helpers/tcp-streams.js";
import { captureNames, type ExpectedRecord, loadExpected, tupleKey } from "./corpus.js";

const dir = corpusDir();
const captures = dir === undefined ? [] : captureNames(dir, readdirSync(dir));

/** Variants per connection and transformation; captures with many connections get fewer. */
function runsFor(connections: number): number {
  return Math.max(4, Math.min(40, Math.floor(800 / Math.max(1, connections))));
}

// ---------------------------------------------------------------------------------------
// Anchoring the canonical run to the reference.

function reversed(c: TcpConnection): TcpConnection {
  return {
    ...c,
    client: c.server,
    server: c.client,
    clientPort: c.serverPort,
    serverPort: c.clientPort,
    toServer: c.toClient,
    toClient: c.toServer,
  };
}

/**
 * Pairs connections with reference records (by endpoints, in order of appearance when a
 * 4-tuple is reused); a connection whose client was only guessed takes the reference's.
 */
function pairWithReference(
  conns: TcpConnection[],
  expected: ExpectedRecord[],
): { conn: TcpConnection; exp: ExpectedRecord | undefined }[] {
  const byTuple = new Map<string, ExpectedRecord[]>();
  for (const e of [...expected].sort((a, b) => a.stream - b.stream)) {
    if (e.transport !== "tcp") continue;
    const k = tupleKey("tcp", e.src, e.src_port, e.dst, e.dst_port);
    byTuple.set(k, [...(byTuple.get(k) ?? []), e]);
  }
  const take = (c: TcpConnection) =>
    byTuple.get(tupleKey("tcp", c.client, c.clientPort, c.server, c.serverPort));
  return conns.map((c0) => {
    let c = c0;
    if (take(c) === undefined && c.orientedBy === "guess" && take(reversed(c)) !== undefined) c = reversed(c);
    return { conn: c, exp: take(c)?.shift() };
  });
}

function ja4xOf(v: unknown): string | undefined {
  const certs = v as { x509: { ja4x: string }[] }[] | undefined;
  return certs === undefined ? undefined : JSON.stringify(certs.map((c) => c.x509.map((x) => x.ja4x)));
}

function complete(d: DirectionStream): boolean {
  return !d.holed && d.data.length < STREAM_LIMIT;
}

function referenceProblems(conn: TcpConnection, exp: ExpectedRecord, run: PlayResult): string[] {
  const got = run.records[0] as unknown as Record<string, unknown> | undefined;
  const out: string[] = [];
  const same = (what: string, e: unknown, g: unknown) => {
    if (e !== g) out.push(`${what}: reference ${e}, canonical ${g}`);
  };
  for (const k of ["tls_server_name", "ja4", "ja4s"] as const) {
    if (exp[k] !== undefined) same(k, exp[k], got?.[k]);
  }
  if (exp.tls_certs !== undefined) same("ja4x", ja4xOf(exp.tls_certs), ja4xOf(got?.tls_certs));
  // HTTP inside TLS needs the capture's secrets (DESIGN §3); a stream cut at 64 KiB has
  // fewer requests than the reference read.
  if (exp.http !== undefined && exp.ja4 === undefined && complete(conn.toServer)) {
    same("http", JSON.stringify(exp.http), JSON.stringify(got?.http));
  }
  if (exp.ssh_extras !== undefined) {
    same("ssh_extras", JSON.stringify(exp.ssh_extras), JSON.stringify(got?.ssh_extras));
  }
  return out;
}

// ---------------------------------------------------------------------------------------

/** A stable 31-bit seed per capture, connection and transformation. */
function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 1;
}

interface Prepared {
  conns: {
    conn: TcpConnection;
    exp: ExpectedRecord | undefined;
    canon: Prints;
    /** The same without what the order between the directions decides. */
    canonCross: Prints;
  }[];
  keyLog: TlsKeyLog;
  anchored: number;
  referenceProblems: string[];
}

const totals = { captures: 0, connections: 0, variants: 0, frames: 0, anchored: 0 };

describe("resegmentation property (corpus)", { skip: skipWithoutCorpus() }, () => {
  for (const name of captures) {
    describe(name, () => {
      let prep: Prepared | undefined;
      before(async () => {
        const { connections: conns, keyLog } = await extractTcpConnections(join(dir!, name));
        const paired = pairWithReference(conns, loadExpected(dir!, name));
        const problems: string[] = [];
        let anchored = 0;
        const out: Prepared["conns"] = [];
        for (const { conn, exp } of paired) {
          const run = playConnection(conn, canonical(conn), keyLog);
          totals.frames += run.frames;
          if (exp !== undefined) {
            anchored++;
            for (const p of referenceProblems(conn, exp, run)) problems.push(`${describeConn(conn)}: ${p}`);
          }
          out.push({ conn, exp, canon: printsOf(run, false), canonCross: printsOf(run, true) });
        }
        prep = { conns: out, anchored, referenceProblems: problems, keyLog };
        if (conns.length > 0) totals.captures++;
        totals.connections += conns.length;
        totals.anchored += anchored;
      });

      test("canonical replay matches the reference", () => {
        assert.ok(prep !== undefined);
        assert.deepEqual(prep.referenceProblems, [], prep.referenceProblems.join("\n"));
      });

      for (const kind of KINDS) {
        test(kind, () => {
          assert.ok(prep !== undefined);
          const runs = runsFor(prep.conns.length);
          const failures: string[] = [];
          const cross = CROSS_ORDER.has(kind);
          for (const { conn, canon, canonCross } of prep.conns) {
            const seed = seedOf(`${name}#${conn.index}#${kind}`);
            // Every drawn variant is checked (none stops the others), and all differences are
            // reported together.
            fc.sample(planArb(kind), { seed, numRuns: runs }).forEach((plan, i) => {
              const segs = variant(conn, plan);
              const run = playConnection(conn, segs, prep!.keyLog);
              totals.variants++;
              totals.frames += run.frames;
              const d = diff(cross ? canonCross : canon, printsOf(run, cross), run.records.length);
              if (d.length === 0) return;
              const text = `${describeConn(conn)} ${kind} (seed ${seed}, variant ${i}): plan ${JSON.stringify(plan)}\n  ${d.join("\n  ")}`;
              failures.push(text);
            });
          }
          assert.deepEqual(failures, [], failures.join("\n"));
        });
      }
    });
  }

  test("summary", () => {
    process.stdout.write(
      `# resegmentation: ${totals.captures} captures, ${totals.connections} TCP connections (${totals.anchored} anchored to the reference), ${totals.variants} variants, ${totals.frames} frames played\n`,
    );
    assert.ok(captures.length >= 25, `expected the 25 corpus captures, found ${captures.length}`);
    assert.ok(totals.connections > 0 && totals.variants > 0);
  });
});

function describeConn(c: TcpConnection): string {
  return `connection #${c.index} ${c.client}:${c.clientPort} → ${c.server}:${c.serverPort} (${c.toServer.data.length}/${c.toClient.data.length} bytes)`;
}
