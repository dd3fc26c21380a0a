// RFC 9001 Appendix A (v1) and RFC 9369 Appendix A (v2) sample packet protection, plus the
// RFC 9000 varint and packet-number examples. Every expected value is the RFC's hex.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  newLongHeader,
  PacketType,
  parseLongHeader,
  QUIC_V1,
  QUIC_V2,
} from "../../src/fingerprint/quic/header.js";
import {
  decodePacketNumber,
  decryptInitialPacket,
  newDecryptState,
} from "../../src/fingerprint/quic/initial-decrypt.js";
import {
  deriveInitialKeys,
  hkdfExtract,
  initialSalt,
  initialSecret,
} from "../../src/fingerprint/quic/initial-keys.js";
import { isQuicInitial, QuicClientHelloExtractor } from "../../src/fingerprint/quic/quic-client-hello.js";
import { readVarint, varintLength } from "../../src/fingerprint/quic/varint.js";
import { hkdfLabelInfo } from "../../src/fingerprint/tls/hkdf-label.js";
import { protectInitial, testInitialKeys } from "./builder.js";
import { CLIENT_CRYPTO_FRAME, DCID, hex, SERVER_PAYLOAD, V1, V2 } from "./rfc-vectors.js";
import { sniOf } from "./sni.js";

const VERSIONS = [
  { name: "v1 (RFC 9001)", version: QUIC_V1, v: V1 },
  { name: "v2 (RFC 9369)", version: QUIC_V2, v: V2 },
] as const;

describe("HKDF labels (RFC 9001 A.1, RFC 9369 A.1)", () => {
  test("HkdfLabel info bytes", () => {
    assert.equal(hkdfLabelInfo("client in", 32).toString("hex"), "00200f746c73313320636c69656e7420696e00");
    assert.equal(hkdfLabelInfo("server in", 32).toString("hex"), "00200f746c7331332073657276657220696e00");
    assert.equal(hkdfLabelInfo("quic key", 16).toString("hex"), "00100e746c7331332071756963206b657900");
    assert.equal(hkdfLabelInfo("quic iv", 12).toString("hex"), "000c0d746c733133207175696320697600");
    assert.equal(hkdfLabelInfo("quic hp", 16).toString("hex"), "00100d746c733133207175696320687000");
    assert.equal(hkdfLabelInfo("quicv2 key", 16).toString("hex"), "001010746c73313320717569637632206b657900");
    assert.equal(hkdfLabelInfo("quicv2 iv", 12).toString("hex"), "000c0f746c7331332071756963763220697600");
    assert.equal(hkdfLabelInfo("quicv2 hp", 16).toString("hex"), "00100f746c7331332071756963763220687000");
  });
});

for (const { name, version, v } of VERSIONS) {
  describe(`Initial keys and packets, ${name}`, () => {
    test("initial secret, client and server secrets, key/iv/hp", () => {
      const dcid = hex(DCID);
      assert.deepEqual(hkdfExtract(initialSalt(version)!, dcid), hex(v.initialSecret));
      assert.deepEqual(initialSecret(version, dcid, "client"), hex(v.clientSecret));
      assert.deepEqual(initialSecret(version, dcid, "server"), hex(v.serverSecret));
      const c = deriveInitialKeys(version, dcid, "client")!;
      assert.equal(c.key.toString("hex"), v.clientKey);
      assert.equal(c.iv.toString("hex"), v.clientIv);
      assert.equal(c.hp.toString("hex"), v.clientHp);
      const s = deriveInitialKeys(version, dcid, "server")!;
      assert.equal(s.key.toString("hex"), v.serverKey);
      assert.equal(s.iv.toString("hex"), v.serverIv);
      assert.equal(s.hp.toString("hex"), v.serverHp);
    });

    test("the test-side builder's keys match the RFC too", () => {
      const k = testInitialKeys(version, hex(DCID));
      assert.equal(k.key.toString("hex"), v.clientKey);
      assert.equal(k.iv.toString("hex"), v.clientIv);
      assert.equal(k.hp.toString("hex"), v.clientHp);
    });

    test("header of the sample client Initial", () => {
      const pkt = hex(v.clientPacket);
      assert.equal(pkt.length, 1200);
      const h = newLongHeader();
      assert.equal(parseLongHeader(pkt, 0, pkt.length, h), true);
      assert.equal(h.version, version);
      assert.equal(h.type, PacketType.Initial);
      assert.equal(pkt.subarray(h.dcidOff, h.dcidOff + h.dcidLen).toString("hex"), DCID);
      assert.equal(h.scidLen, 0);
      assert.equal(h.tokenLen, 0);
      assert.equal(h.length, 1182);
      assert.equal(h.end, 1200);
      assert.equal(isQuicInitial(pkt, 0, pkt.length), true);
    });

    test("sample client Initial decrypts to the RFC's CRYPTO frame + PADDING", () => {
      const pkt = hex(v.clientPacket);
      const h = newLongHeader();
      parseLongHeader(pkt, 0, pkt.length, h);
      const st = newDecryptState();
      const keys = deriveInitialKeys(version, hex(DCID))!;
      const plain = decryptInitialPacket(pkt, h, keys, -1, st);
      assert.ok(plain);
      assert.equal(st.pn, 2);
      assert.equal(st.pnLen, 4);
      const unprotected = hex(v.clientUnprotectedHeader);
      assert.deepEqual(st.aad.subarray(0, unprotected.length), unprotected);
      assert.equal(plain.length, 1162);
      const frame = hex(CLIENT_CRYPTO_FRAME);
      assert.deepEqual(plain.subarray(0, frame.length), frame);
      assert.ok(
        plain.subarray(frame.length).every((b) => b === 0),
        "rest is PADDING",
      );
      assert.equal(pkt.toString("hex", 0, 22), v.clientProtectedHeader);
    });

    test("sample server Initial decrypts with the server keys (2-byte packet number)", () => {
      const pkt = hex(v.serverPacket);
      const h = newLongHeader();
      assert.equal(parseLongHeader(pkt, 0, pkt.length, h), true);
      assert.equal(h.type, PacketType.Initial);
      const st = newDecryptState();
      const plain = decryptInitialPacket(pkt, h, deriveInitialKeys(version, hex(DCID), "server")!, -1, st);
      assert.deepEqual(plain, hex(SERVER_PAYLOAD));
      assert.equal(st.pn, 1);
      assert.equal(st.pnLen, 2);
    });

    test("a flipped ciphertext bit fails the AEAD and is counted", () => {
      const pkt = hex(v.clientPacket);
      pkt[600] ^= 0x01;
      const x = new QuicClientHelloExtractor();
      assert.equal(x.pushDatagram(pkt, 0, pkt.length, true), undefined);
      assert.equal(x.counters.get("quic.decrypt.aead_failed"), 1);
    });

    test("the extractor returns the sample ClientHello (the CRYPTO frame's data)", () => {
      const pkt = hex(v.clientPacket);
      const x = new QuicClientHelloExtractor();
      const ch = x.pushDatagram(pkt, 0, pkt.length, true);
      // CRYPTO frame: type 06, offset 00, length 40f1 (241), then the data.
      assert.deepEqual(ch, hex(CLIENT_CRYPTO_FRAME).subarray(4));
      assert.equal(ch!.length, 241);
      assert.equal(sniOf(ch!), "example.com");
      assert.equal(x.done, true);
      assert.equal(x.pushDatagram(pkt, 0, pkt.length, true), undefined, "returned once");
    });

    test("the extractor reads the sample at an offset inside a larger buffer", () => {
      const pkt = hex(v.clientPacket);
      const big = Buffer.concat([Buffer.alloc(37, 0xee), pkt, Buffer.alloc(11, 0xee)]);
      const ch = new QuicClientHelloExtractor().pushDatagram(big, 37, pkt.length, true);
      assert.deepEqual(ch, hex(CLIENT_CRYPTO_FRAME).subarray(4));
    });

    test("the test builder reproduces the RFC's protected client packet byte for byte", () => {
      const frame = hex(CLIENT_CRYPTO_FRAME);
      const payload = Buffer.concat([frame, Buffer.alloc(1162 - frame.length)]);
      const pkt = protectInitial({ version, dcid: hex(DCID), pn: 2, pnLen: 4, payload });
      assert.equal(pkt.toString("hex"), hex(v.clientPacket).toString("hex"));
    });

    test("Retry packet: parsed as Retry, not an Initial", () => {
      const pkt = hex(v.retryPacket);
      const h = newLongHeader();
      assert.equal(parseLongHeader(pkt, 0, pkt.length, h), true);
      assert.equal(h.type, PacketType.Retry);
      assert.equal(isQuicInitial(pkt, 0, pkt.length), false);
      const x = new QuicClientHelloExtractor();
      assert.equal(x.pushDatagram(pkt, 0, pkt.length, true), undefined);
    });
  });
}

describe("RFC 9000 examples", () => {
  test("varints (§A.1)", () => {
    const cases: [string, number][] = [
      ["c2197c5eff14e88c", Number(151288809941952652n)],
      ["9d7f3e7d", 494878333],
      ["7bbd", 15293],
      ["25", 37],
      ["4025", 37],
    ];
    for (const [h, value] of cases) {
      const b = hex(h);
      assert.equal(readVarint(b, 0, b.length), value, h);
      assert.equal(varintLength(b[0]), b.length, h);
      assert.equal(readVarint(b, 0, b.length - 1), -1, `${h} truncated`);
    }
  });

  test("packet number decoding (§A.3)", () => {
    assert.equal(decodePacketNumber(0xa82f30ea, 0x9b32, 16), 0xa82f9b32);
    assert.equal(decodePacketNumber(-1, 0, 8), 0);
    assert.equal(decodePacketNumber(-1, 2, 32), 2);
    assert.equal(decodePacketNumber(1, 0, 8), 0, "reordered: an older packet after a newer one");
    assert.equal(decodePacketNumber(255, 1, 8), 257, "wraps forward past the window");
  });
});
