// The quic_client_hello event as DECNET writes it (decnet/sniffer/fingerprint.py
// on_quic_packet, 4nt11/DECNET @92632d7):
//   self._log(node_name, "quic_client_hello", severity=SEVERITY_WARNING, src_ip=src_ip,
//             dst_ip=dst_ip, dst_port="443", ja4_quic=ja4q, sni=ch.get("sni", ""),
//             alpn=",".join(ch.get("alpn", [])),
//             raw_ciphers="-".join(str(c) for c in ch.get("cipher_suites", [])))
// with SEVERITY_WARNING = 4 (decnet/sniffer/syslog.py). The JA4 value itself is FoxIO's
// (DESIGN: DECNET's own JA4-family values do not follow the reference), derived by hand.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { SnifferEngine } from "../../src/sniffer/engine.js";
import type { Observation } from "../../src/sniffer/observation.js";
import { ether, frameOf, ipv4, udp } from "../decode/build.js";
import { buildClientHello, cryptoFrame, padding, protectInitial, V1 } from "./builder.js";

const CLIENT = "198.51.100.7";
const SERVER = "10.13.0.10";
const sha12 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 12);

function quicHelloEvents(): Observation[] {
  const obs: Observation[] = [];
  const engine = new SnifferEngine({ onObservation: (o) => obs.push(o), onFlowRecord: () => {} });
  const ch = buildClientHello("decky.example", 0);
  const dcid = Buffer.from("0011223344556677", "hex");
  const p = protectInitial({ version: V1, dcid, pn: 0, pnLen: 1, payload: cryptoFrame(0, ch) });
  const dgram = Buffer.concat([p, padding(Math.max(0, 1200 - p.length))]);
  engine.handleFrame(
    frameOf(
      1,
      ether(0x0800, ipv4({ src: CLIENT, dst: SERVER, proto: 17, payload: udp(50280, 443, dgram) })),
      {
        tsUs: 1_700_000_000_000_000,
      },
    ),
  );
  engine.finish();
  return obs.filter((o) => o.eventType === "quic_client_hello");
}

describe("quic_client_hello event (DECNET's fields)", () => {
  test("ja4_quic (no ja4 field), sni, alpn, raw_ciphers; severity 4", () => {
    const evs = quicHelloEvents();
    assert.equal(evs.length, 1);
    const e = evs[0];
    assert.equal(e.severity, 4);
    const f = e.fields;
    assert.equal(f.src_ip, CLIENT);
    assert.equal(f.dst_ip, SERVER);
    assert.equal(f.dst_port, "443");
    // JA4 "q" by hand (FoxIO JA4.md): 13 from supported_versions; d (SNI); 02 ciphers;
    // 02 extensions (SNI, supported_versions); no ALPN "00". Ciphers sorted 1301,1302;
    // extensions without SNI: 002b, no signature algorithms (so no "_").
    assert.equal(f.ja4_quic, `q13d020200_${sha12("1301,1302")}_${sha12("002b")}`);
    assert.equal("ja4" in f, false, "DECNET writes no ja4 field on quic_client_hello");
    assert.equal(f.sni, "decky.example");
    assert.equal(f.alpn, "");
    assert.equal(f.raw_ciphers, "4865-4866");
    // DECNET's fields come first, in its order (src_port is ours, beside the endpoints).
    assert.deepEqual(Object.keys(f).slice(0, 8), [
      "src_ip",
      "src_port",
      "dst_ip",
      "dst_port",
      "ja4_quic",
      "sni",
      "alpn",
      "raw_ciphers",
    ]);
  });
});
