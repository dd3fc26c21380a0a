// Every QUIC connection of the corpus: the UDP payloads (read at test time with tshark) go through
// the extractor; the ClientHello must carry the expected record's SNI (corpus *.expected.json),
// equal byte for byte the client Initial CRYPTO data tshark decrypts on its own, and give the
// expected JA4 (transport "q") through the TLS code's parseClientHello + ja4.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { isQuicInitial, QuicClientHelloExtractor } from "../../src/fingerprint/quic/quic-client-hello.js";
import { parseClientHello } from "../../src/fingerprint/tls/client-hello.js";
import { ja4 } from "../../src/fingerprint/tls/ja4.js";
import { corpusDir, skipWithoutCorpus } from "../helpers/shared.js";
import { sniOf } from "./sni.js";

const CAPTURES = [
  "tls3.pcapng",
  "tls-handshake.pcapng",
  "tls-sni.pcapng",
  "quic-tls-handshake.pcapng",
  "quic-with-several-tls-frames.pcapng",
  "chrome-cloudflare-quic-with-secrets.pcapng",
];
/** QUIC records in the expected files of these captures (6 + 20 + 20 + 1 + 1 + 1). */
const EXPECTED_QUIC_RECORDS = 49;

interface Datagram {
  srcPort: number;
  payload: Buffer;
}
interface CryptoPiece {
  srcPort: number;
  offset: number;
  data: Buffer;
}
interface UdpStream {
  datagrams: Datagram[];
  /** CRYPTO frames tshark decrypted from Initial packets. */
  initialCrypto: CryptoPiece[];
}
interface ExpectedRecord {
  stream: number;
  transport: string;
  src_port: number;
  tls_server_name?: string;
  ja4?: string;
}

function tsharkAvailable(): boolean {
  try {
    execFileSync("tshark", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const skip = skipWithoutCorpus() || (tsharkAvailable() ? false : "tshark not installed");

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function first(v: Json | undefined): Json | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Collects CRYPTO frames below `node`, remembering the long-header packet type of the enclosing QUIC packet. */
function collectCrypto(
  node: Json,
  packetType: string | undefined,
  srcPort: number,
  out: CryptoPiece[],
): void {
  if (Array.isArray(node)) {
    for (const n of node) collectCrypto(n, packetType, srcPort, out);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const pt = node["quic.long.packet_type"];
  const type = typeof pt === "string" ? pt : packetType;
  const off = node["quic.crypto.offset"];
  const raw = node["quic.crypto.crypto_data_raw"];
  if (typeof off === "string" && Array.isArray(raw) && typeof raw[0] === "string" && type === "0") {
    out.push({ srcPort, offset: Number(off), data: Buffer.from(raw[0], "hex") });
  }
  for (const [k, v] of Object.entries(node)) {
    if (k === "quic.crypto.crypto_data_raw") continue;
    if (typeof v === "object" && v !== null) collectCrypto(v, type, srcPort, out);
  }
}

function readUdpStreams(file: string): Map<number, UdpStream> {
  const out = execFileSync(
    "tshark",
    ["-n", "-r", file, "-Y", "udp", "-T", "json", "--no-duplicate-keys", "-x", "-J", "udp quic"],
    {
      maxBuffer: 512 * 1024 * 1024,
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  const frames = JSON.parse(out.toString("utf8")) as { _source: { layers: Record<string, Json> } }[];
  const streams = new Map<number, UdpStream>();
  for (const f of frames) {
    const udp = f._source.layers.udp;
    if (udp === undefined || Array.isArray(udp) || udp === null || typeof udp !== "object") continue; // ICMP-quoted UDP etc.
    const stream = Number(first(udp["udp.stream"]));
    const srcPort = Number(first(udp["udp.srcport"]));
    const hexPayload = first(udp["udp.payload"]);
    if (typeof hexPayload !== "string") continue;
    let s = streams.get(stream);
    if (s === undefined) {
      s = { datagrams: [], initialCrypto: [] };
      streams.set(stream, s);
    }
    s.datagrams.push({ srcPort, payload: Buffer.from(hexPayload.replace(/:/g, ""), "hex") });
    const quic = f._source.layers.quic;
    if (quic !== undefined) collectCrypto(quic, undefined, srcPort, s.initialCrypto);
  }
  return streams;
}

describe("QUIC ClientHello extraction over the corpus", { skip }, () => {
  let checked = 0;

  for (const name of CAPTURES) {
    test(name, () => {
      const dir = corpusDir()!;
      const expected = (
        JSON.parse(readFileSync(join(dir, `${name}.expected.json`), "utf8")) as ExpectedRecord[]
      ).filter((r) => r.transport === "udp");
      assert.ok(expected.length > 0);
      const streams = readUdpStreams(join(dir, name));
      for (const rec of expected) {
        const label = `${name} udp stream ${rec.stream}`;
        const s = streams.get(rec.stream);
        assert.ok(s, `${label}: no datagrams`);
        const x = new QuicClientHelloExtractor();
        const yields: Buffer[] = [];
        for (const d of s.datagrams) {
          const ch = x.pushDatagram(d.payload, 0, d.payload.length, d.srcPort === rec.src_port);
          if (ch !== undefined) yields.push(ch);
        }
        assert.equal(yields.length, 1, `${label}: one ClientHello (counters ${JSON.stringify(x.counters)})`);
        const ch = yields[0];
        assert.equal(sniOf(ch), rec.tls_server_name, `${label}: SNI`);

        // Byte-for-byte against tshark's own decryption of the client's Initial CRYPTO frames.
        const pieces = s.initialCrypto.filter((p) => p.srcPort === rec.src_port && p.offset < ch.length);
        assert.ok(pieces.length > 0, `${label}: tshark saw client CRYPTO frames`);
        const covered = new Uint8Array(ch.length);
        for (const p of pieces) {
          const n = Math.min(p.data.length, ch.length - p.offset);
          assert.deepEqual(
            ch.subarray(p.offset, p.offset + n),
            p.data.subarray(0, n),
            `${label}: bytes at ${p.offset}`,
          );
          covered.fill(1, p.offset, p.offset + n);
        }
        assert.ok(
          covered.every((c) => c === 1),
          `${label}: tshark's frames cover the ClientHello`,
        );

        const first = s.datagrams.find((d) => d.srcPort === rec.src_port)!;
        assert.equal(isQuicInitial(first.payload, 0, first.payload.length), true, `${label}: isQuicInitial`);

        // The TLS parser takes the handshake body (after type and 3-byte length).
        const parsed = parseClientHello(ch.subarray(4));
        assert.ok(parsed, `${label}: parseClientHello`);
        assert.equal(parsed.serverName, rec.tls_server_name, `${label}: parsed SNI`);
        assert.equal(ja4(parsed, "q").ja4, rec.ja4, `${label}: JA4`);
        checked++;
      }

      // UDP streams without a QUIC record yield no ClientHello, whichever side is taken as the client.
      const quicStreams = new Set(expected.map((r) => r.stream));
      for (const [id, s] of streams) {
        if (quicStreams.has(id)) continue;
        for (const port of new Set(s.datagrams.map((d) => d.srcPort))) {
          const x = new QuicClientHelloExtractor();
          for (const d of s.datagrams) {
            assert.equal(
              x.pushDatagram(d.payload, 0, d.payload.length, d.srcPort === port),
              undefined,
              `${name} udp stream ${id}`,
            );
          }
        }
      }
    });
  }

  test(`all ${EXPECTED_QUIC_RECORDS} QUIC records checked`, () => {
    assert.equal(checked, EXPECTED_QUIC_RECORDS);
    process.stderr.write(
      `QUIC corpus: ${checked}/${EXPECTED_QUIC_RECORDS} ClientHellos (SNI, tshark bytes, JA4)\n`,
    );
  });
});
