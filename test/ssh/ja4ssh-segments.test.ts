/**
 * Differential tests of Ja4SshSegmentClassifier against tshark: for hand-scripted SSH
 * sessions written as pcaps, tshark's per-frame protocol list (does the frame show "ssh"?)
 * is the oracle — it is exactly what the reference JA4SSH tool counts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Ja4SshWindow } from "../../src/fingerprint/ssh/ja4ssh.js";
import { Ja4SshSegmentClassifier } from "../../src/fingerprint/ssh/ja4ssh-segments.js";
import { ACK, kexinitPacket, ScriptedConnection, ssh1Packet, sshPacket, sshString } from "./pcap-writer.js";
import { freshData, skipWithoutTshark, tcpStreams } from "./tshark-streams.js";

const C = true;
const S = false;

const ECDH_LISTS = [
  "curve25519-sha256,ecdh-sha2-nistp256",
  "ssh-ed25519",
  "aes128-ctr",
  "aes128-ctr",
  "hmac-sha2-256",
  "hmac-sha2-256",
  "none",
  "none",
  "",
  "",
];

const b = (n: number, fill = 0x42): Buffer => Buffer.alloc(n, fill);
const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);
const ed25519Key = (): Buffer => sshString(cat(sshString("ssh-ed25519"), sshString(b(32, 0x61))));
const ed25519Sig = (): Buffer => sshString(cat(sshString("ssh-ed25519"), sshString(b(64, 0x62))));
const ecdhReply = (): Buffer => sshPacket(31, cat(ed25519Key(), sshString(b(32, 0x63)), ed25519Sig()));
const rsaKey = (nLen = 257): Buffer => {
  const n = cat(Buffer.from([0]), b(nLen - 1, 0x71));
  return sshString(cat(sshString("ssh-rsa"), sshString(Buffer.from([1, 0, 1])), sshString(n)));
};
const rsaSig = (): Buffer => sshString(cat(sshString("rsa-sha2-512"), sshString(b(256, 0x72))));

/** The usual opening: handshake and both identification lines. */
function opening(clientBanner = "SSH-2.0-OpenSSH_9.6\r\n", serverBanner = "SSH-2.0-OpenSSH_8.9p1\r\n") {
  return new ScriptedConnection().handshake().send(C, clientBanner).send(S, serverBanner);
}

/** Encrypted traffic after NEWKEYS: a few exchanges, ACKs, a retransmission. */
function encryptedTail(k: ScriptedConnection): ScriptedConnection {
  k.send(C, b(64, 0x91)).send(S, b(80, 0x92)).packet(C, ACK);
  const seq = k.seqOf(C);
  k.send(C, b(48, 0x93)).packet(C, 0x18, b(48, 0x93), seq); // retransmission
  return k.send(S, b(96, 0x94)).packet(C, ACK).send(C, b(36, 0x95));
}

const SCENARIOS: Record<string, () => ScriptedConnection> = {
  "curve25519 session, client KEXINIT split in three segments (middle one ACK only)": () => {
    const k = opening();
    const kex = kexinitPacket([`${ECDH_LISTS[0]},${"x".repeat(2500)}`, ...ECDH_LISTS.slice(1)]);
    const third = Math.floor(kex.length / 3);
    k.packet(C, ACK, kex.subarray(0, third))
      .packet(C, ACK, kex.subarray(third, 2 * third))
      .send(C, kex.subarray(2 * third));
    k.send(S, kexinitPacket(ECDH_LISTS));
    k.send(C, sshPacket(30, sshString(b(32))));
    k.send(S, cat(ecdhReply(), sshPacket(21)));
    k.send(C, sshPacket(21));
    return encryptedTail(k);
  },
  "server lines before its identification, separate segments": () => {
    const k = new ScriptedConnection().handshake().send(C, "SSH-2.0-PuTTY_Release_0.80\r\n");
    k.send(S, "Welcome to the machine\r\n")
      .send(S, "Authorized users only\r\n")
      .send(S, "SSH-2.0-dropbear_2022.83\r\n");
    k.send(C, kexinitPacket(ECDH_LISTS)).send(S, kexinitPacket(ECDH_LISTS));
    k.send(C, sshPacket(30, sshString(b(32))))
      .send(S, cat(ecdhReply(), sshPacket(21)))
      .send(C, sshPacket(21));
    return encryptedTail(k);
  },
  "server lines and identification in one segment": () => {
    const k = new ScriptedConnection().handshake().send(C, "SSH-2.0-Go\r\n");
    k.send(S, "hello there\r\nSSH-2.0-OpenSSH_7.4\r\n");
    k.send(C, kexinitPacket(ECDH_LISTS)).send(S, kexinitPacket(ECDH_LISTS));
    k.send(C, sshPacket(30, sshString(b(32))))
      .send(S, cat(ecdhReply(), sshPacket(21)))
      .send(C, sshPacket(21));
    return encryptedTail(k);
  },
  "server identification and KEXINIT before the client's identification": () => {
    const k = new ScriptedConnection().handshake();
    k.send(S, cat(Buffer.from("SSH-2.0-paramiko_3.4.0\r\n"), kexinitPacket(ECDH_LISTS)));
    k.send(C, "SSH-2.0-libssh2_1.11.0\r\n").send(C, kexinitPacket(ECDH_LISTS));
    k.send(C, sshPacket(30, sshString(b(32))))
      .send(S, cat(ecdhReply(), sshPacket(21)))
      .send(C, sshPacket(21));
    return encryptedTail(k);
  },
  "SSH-1.5 session with packets split across segments": () => {
    const k = opening("SSH-1.5-1.2.27\n", "SSH-1.5-OpenSSH_3.9p1\n");
    const pub = ssh1Packet(2, b(270, 0x33));
    k.send(S, pub.subarray(0, 100)).send(S, pub.subarray(100));
    const sess = ssh1Packet(3, b(150, 0x34));
    k.send(C, sess.subarray(0, sess.length - 3)).send(C, sess.subarray(sess.length - 3));
    k.send(S, ssh1Packet(14, b(8)));
    const big = ssh1Packet(4, b(40));
    k.send(C, big.subarray(0, 20)).send(C, big.subarray(20, 30)).send(C, big.subarray(30));
    return k.send(S, ssh1Packet(15, b(10))).packet(C, ACK);
  },
  "group-exchange with a malformed host key (NEWKEYS lost for tshark)": () => {
    const lists = ["diffie-hellman-group-exchange-sha1", "ssh-rsa", ...ECDH_LISTS.slice(2)];
    const k = opening("SSH-2.0-OpenSSH_5.3\r\n", "SSH-1.99-OpenSSH_3.9p1\n");
    k.send(C, kexinitPacket(lists)).send(S, kexinitPacket(lists));
    k.send(C, sshPacket(34, cat(Buffer.from([0, 0, 4, 0, 0, 0, 8, 0, 0, 0, 0x20, 0]))));
    k.send(S, sshPacket(31, cat(sshString(b(129)), sshString(Buffer.from([2])))));
    k.send(C, sshPacket(32, sshString(b(128))));
    const badKey = sshString(
      cat(sshString("ssh-rsa"), sshString(Buffer.from([0x78])), Buffer.from([0x78, 0x78, 0x78, 0x78])),
    );
    k.send(S, cat(sshPacket(33, cat(badKey, sshString(b(128)), rsaSig())), sshPacket(21)));
    k.send(C, sshPacket(21));
    return encryptedTail(k);
  },
  "group14 with an RSA key, KEX reply spread over three segments": () => {
    const lists = ["diffie-hellman-group14-sha256", "rsa-sha2-512", ...ECDH_LISTS.slice(2)];
    const k = opening();
    k.send(C, kexinitPacket(lists)).send(S, kexinitPacket(lists));
    k.send(C, sshPacket(30, sshString(b(256))));
    const reply = cat(sshPacket(31, cat(rsaKey(), sshString(b(256, 0x55)), rsaSig())), sshPacket(21));
    k.packet(S, ACK, reply.subarray(0, 300))
      .packet(S, ACK, reply.subarray(300, 600))
      .send(S, reply.subarray(600));
    k.send(C, sshPacket(21));
    return encryptedTail(k);
  },
  "packet header split after three bytes, two packets plus a partial one in a segment": () => {
    const k = opening();
    const kex = kexinitPacket(ECDH_LISTS);
    k.send(C, kex.subarray(0, 3)).send(C, kex.subarray(3));
    const ignore = sshPacket(2, sshString("padding"));
    const skex = kexinitPacket(ECDH_LISTS);
    k.send(S, cat(ignore, ignore, skex.subarray(0, 40))).send(S, skex.subarray(40));
    k.send(C, sshPacket(30, sshString(b(32))))
      .send(S, cat(ecdhReply(), sshPacket(21)))
      .send(C, sshPacket(21));
    return encryptedTail(k);
  },
  "identification line split across two segments": () => {
    const k = new ScriptedConnection().handshake();
    k.send(C, "SSH-2.0-Open").send(C, "SSH_9.6\r\n").send(S, "SSH-2.0-OpenSSH_9.6\r\n");
    k.send(C, kexinitPacket(ECDH_LISTS)).send(S, kexinitPacket(ECDH_LISTS));
    k.send(C, sshPacket(30, sshString(b(32))))
      .send(S, cat(ecdhReply(), sshPacket(21)))
      .send(C, sshPacket(21));
    return encryptedTail(k);
  },
  "identification, KEXINIT and more in one client segment": () => {
    const k = new ScriptedConnection().handshake().send(S, "SSH-2.0-OpenSSH_9.6\r\n");
    k.send(
      C,
      cat(
        Buffer.from("SSH-2.0-AsyncSSH_2.14\r\n"),
        kexinitPacket(ECDH_LISTS),
        sshPacket(30, sshString(b(32))),
      ),
    );
    k.send(S, cat(kexinitPacket(ECDH_LISTS), ecdhReply(), sshPacket(21)));
    k.send(C, cat(sshPacket(21), b(64, 0x99)));
    return encryptedTail(k);
  },
  "SSH-1 packets split where tshark asks for zero more bytes": () => {
    const k = opening("SSH-1.5-x\n", "SSH-1.5-y\n");
    const p = ssh1Packet(15, b(10));
    k.send(S, p.subarray(0, 10)).send(S, p.subarray(10)).send(S, p).send(S, p);
    const q = ssh1Packet(15, b(30));
    k.send(C, q.subarray(0, 10)).send(C, q.subarray(10, 30)).send(C, q.subarray(30)).send(C, q).send(C, q);
    return k;
  },
  "capture without the identification exchange": () => {
    const k = new ScriptedConnection().handshake();
    return encryptedTail(k.send(C, b(52, 0x21)).send(S, b(52, 0x22)));
  },
};

/** Deterministic PRNG (mulberry32) for the random segmentations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One whole SSH-2 session as two byte streams, cut into random segments and interleaved. */
function randomlySegmented(seed: number): ScriptedConnection {
  const rnd = prng(seed);
  const lists =
    rnd() < 0.5 ? ECDH_LISTS : ["diffie-hellman-group14-sha256", "rsa-sha2-512", ...ECDH_LISTS.slice(2)];
  const ecdh = lists === ECDH_LISTS;
  const client: Buffer[] = [
    Buffer.from("SSH-2.0-OpenSSH_9.6\r\n"),
    kexinitPacket(lists),
    sshPacket(30, sshString(b(ecdh ? 32 : 256))),
    sshPacket(21),
    b(300 + Math.floor(rnd() * 200), 0x31),
  ];
  const server: Buffer[] = [
    Buffer.from(rnd() < 0.3 ? "Banner line\r\nSSH-2.0-OpenSSH_8.9\r\n" : "SSH-2.0-OpenSSH_8.9\r\n"),
    kexinitPacket(lists),
    ecdh ? ecdhReply() : sshPacket(31, cat(rsaKey(), sshString(b(256, 0x55)), rsaSig())),
    sshPacket(21),
    b(400 + Math.floor(rnd() * 300), 0x32),
  ];
  const k = new ScriptedConnection().handshake();
  const c = Buffer.concat(client);
  const sv = Buffer.concat(server);
  let ci = 0;
  let si = 0;
  while (ci < c.length || si < sv.length) {
    const fromClient = si >= sv.length || (ci < c.length && rnd() < 0.5);
    const src = fromClient ? c : sv;
    const at = fromClient ? ci : si;
    const n = Math.min(src.length - at, 1 + Math.floor(rnd() * (rnd() < 0.3 ? 8 : 400)));
    k.packet(fromClient, rnd() < 0.3 ? ACK : 0x18, src.subarray(at, at + n));
    if (rnd() < 0.2) k.packet(!fromClient, ACK);
    if (fromClient) ci += n;
    else si += n;
  }
  return k;
}
for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 25])
  SCENARIOS[`random segmentation, seed ${seed}`] = () => randomlySegmented(seed);

const skip = skipWithoutTshark();
const dir = mkdtempSync(join(tmpdir(), "ja4ssh-segments-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Frame number → does tshark show an "ssh" layer in it. */
function tsharkSshFrames(file: string): Map<number, boolean> {
  const r = spawnSync(
    "tshark",
    ["-n", "-r", file, "-T", "fields", "-e", "frame.number", "-e", "frame.protocols"],
    {
      encoding: "utf8",
    },
  );
  const m = new Map<number, boolean>();
  for (const line of r.stdout.split("\n")) {
    const [f, p] = line.split("\t");
    if (f) m.set(Number(f), (p ?? "").split(":").includes("ssh"));
  }
  return m;
}

describe("Ja4SshSegmentClassifier against tshark", { skip }, () => {
  for (const [name, build] of Object.entries(SCENARIOS)) {
    test(name, () => {
      const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, "_")}.pcap`);
      build().write(file);
      const oracle = tsharkSshFrames(file);
      const stream = tcpStreams(file).get(0)!;
      const classifier = new Ja4SshSegmentClassifier();
      const got: string[] = [];
      const want: string[] = [];
      for (const { segment, fresh } of freshData(stream)) {
        const fromClient = segment.srcPort !== 22;
        const mine = fresh.length > 0 ? classifier.classify(fromClient, fresh, 0, fresh.length) : false;
        got.push(`${segment.frame}:${mine}`);
        want.push(`${segment.frame}:${oracle.get(segment.frame) ?? false}`);
      }
      assert.deepEqual(got, want);
    });
  }

  test("JA4SSH of a scripted session, worked out by hand", () => {
    // Scenario 1, SSH packets as tshark sees them (the test above checks that list):
    //  client: banner (21 bytes), first and last third of the KEXINIT (the middle third is
    //  absorbed into the reassembly and, flags ACK only, counts as a bare ACK), ECDH init
    //  (48), NEWKEYS (16), encrypted 64, 48 (its retransmission is not new data), 36;
    //  server: banner (23), KEXINIT, ECDH reply + NEWKEYS, encrypted 80, 96.
    const k = SCENARIOS["curve25519 session, client KEXINIT split in three segments (middle one ACK only)"]();
    const file = join(dir, "hand.pcap");
    k.write(file);
    const stream = tcpStreams(file).get(0)!;
    const classifier = new Ja4SshSegmentClassifier();
    const window = new Ja4SshWindow();
    for (const { segment, fresh } of freshData(stream)) {
      const fromClient = segment.srcPort !== 22;
      const isSsh = fresh.length > 0 && classifier.classify(fromClient, fresh, 0, fresh.length);
      assert.equal(window.addPacket(fromClient, segment.len, segment.flags === ACK, isSsh), undefined);
    }
    // Client: 8 SSH packets; 48 occurs twice (ECDH init, one encrypted packet), every other
    // length once → mode 48. Server: 5 packets, all lengths distinct → the smallest, 23.
    // Bare ACKs: client handshake ACK, the absorbed middle third, two ACKs in the tail = 4;
    // server none. The retransmission (PSH+ACK, not new data) counts for nothing.
    assert.equal(window.flush(), "c48s23_c8s5_c4s0");
  });
});
