import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { hassh, hasshServer } from "../../src/fingerprint/ssh/hassh.js";
import { parseKexinit } from "../../src/fingerprint/ssh/kexinit.js";
import { selectEncryptionAlgorithm, sshExtras } from "../../src/fingerprint/ssh/ssh-extras.js";
import { MAX_PRE_LINES, SshStreamReader } from "../../src/fingerprint/ssh/ssh-stream.js";
import { Counters } from "../../src/util/counters.js";
import { kexinitPacket, sshPacket, sshString } from "./pcap-writer.js";

/** OpenSSH's SSH_MAX_BANNER_LEN (ssh.h): the longest identification line it reads. */
const MAX_LINE = 8192;

// salesforce/hassh README, "Example 1": the Cyberduck 6.7.1 client and its published hassh.
const CYBERDUCK = {
  kex: "curve25519-sha256@libssh.org,diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp521,ecdh-sha2-nistp384,ecdh-sha2-nistp256,diffie-hellman-group-exchange-sha1,diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,diffie-hellman-group15-sha512,diffie-hellman-group16-sha512,diffie-hellman-group17-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256@ssh.com,diffie-hellman-group15-sha256,diffie-hellman-group15-sha256@ssh.com,diffie-hellman-group15-sha384@ssh.com,diffie-hellman-group16-sha256,diffie-hellman-group16-sha384@ssh.com,diffie-hellman-group16-sha512@ssh.com,diffie-hellman-group18-sha512@ssh.com",
  enc: "aes128-cbc,aes128-ctr,aes192-cbc,aes192-ctr,aes256-cbc,aes256-ctr,blowfish-cbc,blowfish-ctr,cast128-cbc,cast128-ctr,idea-cbc,idea-ctr,serpent128-cbc,serpent128-ctr,serpent192-cbc,serpent192-ctr,serpent256-cbc,serpent256-ctr,3des-cbc,3des-ctr,twofish128-cbc,twofish128-ctr,twofish192-cbc,twofish192-ctr,twofish256-cbc,twofish256-ctr,twofish-cbc,arcfour,arcfour128,arcfour256",
  mac: "hmac-sha1,hmac-sha1-96,hmac-md5,hmac-md5-96,hmac-sha2-256,hmac-sha2-512",
  cmp: "zlib@openssh.com,zlib,none",
  hassh: "8a8ae540028bf433cd68356c1b9e8d5b",
};
// The server side of the same README ("Example 2", OpenSSH 5.3): its algorithm string.
const OPENSSH53_SERVER_ALGS =
  "diffie-hellman-group-exchange-sha256,diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1;aes128-ctr,aes192-ctr,aes256-ctr,arcfour256,arcfour128,aes128-cbc,3des-cbc,blowfish-cbc,cast128-cbc,aes192-cbc,aes256-cbc,arcfour,rijndael-cbc@lysator.liu.se;hmac-md5,hmac-sha1,umac-64@openssh.com,hmac-ripemd160,hmac-ripemd160@openssh.com,hmac-sha1-96,hmac-md5-96;none,zlib@openssh.com";

function cyberduckKexinit(): Buffer {
  return kexinitPacket([
    CYBERDUCK.kex,
    "ssh-rsa",
    CYBERDUCK.enc,
    CYBERDUCK.enc,
    CYBERDUCK.mac,
    CYBERDUCK.mac,
    CYBERDUCK.cmp,
    CYBERDUCK.cmp,
    "",
    "",
  ]);
}

/** Pushes `data` in pieces of `size` bytes. */
function pushInPieces(r: SshStreamReader, data: Buffer, size: number): void {
  for (let i = 0; i < data.length; i += size) {
    const piece = Buffer.from(data.subarray(i, i + size)); // a fresh buffer per piece, like segments
    r.push(piece, 0, piece.length);
  }
}

describe("SshStreamReader", () => {
  const session = Buffer.concat([
    Buffer.from("SSH-2.0-Cyberduck/6.7.1.28683 (Mac OS X/10.13.6) (x86_64)\r\n"),
    cyberduckKexinit(),
    sshPacket(30, sshString(Buffer.alloc(32, 1))),
  ]);

  test("KEXINIT split across segments, in pieces of every size", () => {
    for (const size of [1, 2, 3, 5, 7, 13, 64, 100, 999, session.length]) {
      const r = new SshStreamReader(new Counters());
      pushInPieces(r, session, size);
      assert.equal(r.state, "done", `piece size ${size}`);
      assert.equal(r.banner, "SSH-2.0-Cyberduck/6.7.1.28683 (Mac OS X/10.13.6) (x86_64)");
      assert.equal(r.protoVersion, "2.0");
      assert.equal(r.softwareVersion, "Cyberduck/6.7.1.28683");
      assert.equal(r.comments, "(Mac OS X/10.13.6) (x86_64)");
      assert.ok(r.kexinit);
      assert.equal(r.kexinit.kexAlgorithms, CYBERDUCK.kex);
      assert.equal(hassh(r.kexinit).hassh, CYBERDUCK.hassh, `piece size ${size}`);
    }
  });

  test("a server sends other lines before its identification (RFC 4253 §4.2)", () => {
    const r = new SshStreamReader(new Counters());
    const data = Buffer.concat([
      Buffer.from("Welcome to the decky\r\n\r\nThis system is monitored\n"),
      Buffer.from("SSH-2.0-OpenSSH_5.3\r\n"),
      kexinitPacket([
        "diffie-hellman-group-exchange-sha256,diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1",
        "ssh-rsa,ssh-dss",
        "aes128-ctr",
        "aes128-ctr,aes192-ctr,aes256-ctr,arcfour256,arcfour128,aes128-cbc,3des-cbc,blowfish-cbc,cast128-cbc,aes192-cbc,aes256-cbc,arcfour,rijndael-cbc@lysator.liu.se",
        "hmac-md5",
        "hmac-md5,hmac-sha1,umac-64@openssh.com,hmac-ripemd160,hmac-ripemd160@openssh.com,hmac-sha1-96,hmac-md5-96",
        "none",
        "none,zlib@openssh.com",
        "",
        "",
      ]),
    ]);
    pushInPieces(r, data, 9);
    assert.equal(r.preBannerLines, 3);
    assert.equal(r.banner, "SSH-2.0-OpenSSH_5.3");
    assert.equal(r.comments, undefined);
    assert.ok(r.kexinit);
    assert.equal(hasshServer(r.kexinit).hassh_server_algorithms, OPENSSH53_SERVER_ALGS);
  });

  test("SSH-1.99 is SSH-2 compatible: its KEXINIT is read", () => {
    const r = new SshStreamReader(new Counters());
    pushInPieces(r, Buffer.concat([Buffer.from("SSH-1.99-OpenSSH_3.9p1\n"), cyberduckKexinit()]), 50);
    assert.equal(r.protoVersion, "1.99");
    assert.equal(r.softwareVersion, "OpenSSH_3.9p1");
    assert.equal(r.state, "done");
    assert.ok(r.kexinit);
  });

  test("SSH-1.5 has no KEXINIT: done after the identification", () => {
    const r = new SshStreamReader(new Counters());
    r.push(Buffer.from("SSH-1.5-1.2.27\n\0\0\0\x10garbage"), 0, 27);
    assert.equal(r.state, "done");
    assert.equal(r.protoVersion, "1.5");
    assert.equal(r.kexinit, undefined);
  });

  test("packets before the KEXINIT (IGNORE, DEBUG) are skipped", () => {
    const r = new SshStreamReader(new Counters());
    const data = Buffer.concat([
      Buffer.from("SSH-2.0-x\r\n"),
      sshPacket(2, sshString("ignore me")),
      sshPacket(4, Buffer.concat([Buffer.from([1]), sshString("debug"), sshString("")])),
      cyberduckKexinit(),
    ]);
    pushInPieces(r, data, 4);
    assert.equal(r.packets, 3);
    assert.equal(hassh(r.kexinit!).hassh, CYBERDUCK.hassh);
  });

  test("the banner as tshark shows ssh.protocol: controls kept, bytes >= 0x80 as U+FFFD, cut at NUL", () => {
    // tshark 4.0.17 over these lines (ssh.protocol, -T json): "SSH-2.0-X\tY",
    // "SSH-2.0-X\r" (CR CR LF), "SSH-2.0-Caf\ufffd\ufffd comment" (UTF-8 é), and
    // "SSH-2.0-ab\u0002cd\u0001\x7f\ufffd x"; "SSH-2.0-ab\0cd..." shows as "SSH-2.0-ab".
    // (The log writers escape control characters; kexinit.ts renders name-lists alike.)
    const cases: [string, string][] = [
      ["SSH-2.0-X\tY\r\n", "SSH-2.0-X\tY"],
      ["SSH-2.0-X\r\r\n", "SSH-2.0-X\r"],
      ["SSH-2.0-Caf\xc3\xa9 comment\r\n", "SSH-2.0-Caf\ufffd\ufffd comment"],
      ["SSH-2.0-ab\x02cd\x01\x7f\x80 x\r\n", "SSH-2.0-ab\x02cd\x01\x7f\ufffd x"],
      ["SSH-2.0-ab\x00cd\x01\x7f\x80 x\r\n", "SSH-2.0-ab"],
    ];
    for (const [wire, shown] of cases) {
      const r = new SshStreamReader(new Counters());
      const line = Buffer.from(wire, "latin1");
      r.push(line, 0, line.length);
      assert.equal(r.banner, shown);
    }
    const r = new SshStreamReader(new Counters());
    const line = Buffer.from("SSH-2.0-evil\x1b[31m\xff tail\r\n", "latin1");
    r.push(line, 0, line.length);
    assert.equal(r.softwareVersion, "evil\x1b[31m\ufffd");
    assert.equal(r.comments, "tail");
  });

  test("a lowercase ssh- identification is taken, as tshark does (tvb_strncaseeql)", () => {
    const r = new SshStreamReader(new Counters());
    pushInPieces(r, Buffer.concat([Buffer.from("Hello\r\nssh-2.0-lower\r\n"), cyberduckKexinit()]), 3);
    assert.equal(r.preBannerLines, 1);
    assert.equal(r.banner, "ssh-2.0-lower");
    assert.equal(r.protoVersion, "2.0");
    assert.equal(hassh(r.kexinit!).hassh, CYBERDUCK.hassh);
  });

  test("identification lines up to 8192 bytes (OpenSSH's SSH_MAX_BANNER_LEN), in any pieces", () => {
    // RFC 4253 §4.2 says 255 with CR LF; tshark, the FoxIO tool and OpenSSH read longer
    // ones (tshark 4.0.17 gives the client's hassh after a 300-byte identification).
    for (const n of [254, 300, MAX_LINE]) {
      const banner = `SSH-2.0-${"A".repeat(n - 8)}`;
      for (const size of [1, 97, 5000, 100_000]) {
        const r = new SshStreamReader(new Counters());
        pushInPieces(r, Buffer.concat([Buffer.from(`${banner}\r\n`), cyberduckKexinit()]), size);
        assert.equal(r.banner, banner, `${n} bytes in pieces of ${size}`);
        assert.equal(hassh(r.kexinit!).hassh, CYBERDUCK.hassh);
      }
    }
  });

  test("any number of IGNORE packets, and big ones, before the KEXINIT (RFC 4253 §6.1, §11.2)", () => {
    // 35000 bytes is the least an implementation must accept, not a maximum; IGNORE may
    // come at any time. tshark 4.0.17 gives the hassh after 16 IGNOREs and after one of 40000 bytes.
    const ignore = sshPacket(2, sshString("padding"));
    const big = sshPacket(2, sshString(Buffer.alloc(200_000, 0x55)));
    for (const pre of [Buffer.concat(Array.from({ length: 500 }, () => ignore)), big]) {
      const data = Buffer.concat([Buffer.from("SSH-2.0-x\r\n"), pre, cyberduckKexinit()]);
      for (const size of [1, 1400, data.length]) {
        const r = new SshStreamReader(new Counters());
        pushInPieces(r, data, size);
        assert.equal(r.state, "done", `pieces of ${size}`);
        assert.equal(hassh(r.kexinit!).hassh, CYBERDUCK.hassh);
        // Skipped packets are not copied: what the reader holds stays small.
        const held = (r as unknown as { acc?: Buffer }).acc;
        assert.equal(held, undefined);
      }
    }
  });

  test("a gap before the identification resumes at a line start; after it, the reader stops", () => {
    const counters = new Counters();
    const r = new SshStreamReader(counters);
    const a = Buffer.from("Welcome to");
    r.push(a, 0, a.length);
    r.gap();
    const b = Buffer.concat([Buffer.from("SSH-2.0-x\r\n"), sshPacket(2, sshString("ab"))]);
    r.push(b, 0, b.length - 3);
    assert.equal(r.banner, "SSH-2.0-x");
    r.gap();
    assert.equal(r.state, "error");
    assert.equal(counters.get("ssh.stream_gap"), 1);
  });

  test("skipPartialLine: the bytes up to the next LF are a line before the identification", () => {
    const r = new SshStreamReader(new Counters());
    r.skipPartialLine();
    const d = Buffer.from("SSH-2.0-not-a-line-start\r\nSSH-2.0-real\r\n");
    r.push(d, 0, d.length);
    assert.equal(r.preBannerLines, 1);
    assert.equal(r.banner, "SSH-2.0-real");
  });

  test("bounds: identification over 8192 bytes, long and many pre-lines, huge packet", () => {
    const counters = new Counters();
    const long = new SshStreamReader(counters);
    const ident = Buffer.from(`SSH-2.0-${"A".repeat(MAX_LINE)}\r\n`);
    pushInPieces(long, ident, 1000);
    assert.equal(long.state, "error");
    assert.equal(counters.get("ssh.banner_too_long"), 1);

    const pre = new SshStreamReader(counters);
    const junk = Buffer.alloc(MAX_LINE + 100, 0x41);
    pushInPieces(pre, junk, 3000);
    assert.equal(pre.state, "error");
    assert.equal(counters.get("ssh.preline_too_long"), 1);

    const many = new SshStreamReader(counters);
    const lines = Buffer.from("x\r\n".repeat(MAX_PRE_LINES + 5));
    many.push(lines, 0, lines.length);
    assert.equal(many.state, "limit");

    const huge = new SshStreamReader(counters);
    const big = Buffer.concat([Buffer.from("SSH-2.0-x\r\n"), Buffer.from([0x00, 0x10, 0x00, 0x00, 4])]);
    huge.push(big, 0, big.length);
    assert.equal(huge.state, "error");
    assert.equal(counters.get("ssh.packet_too_long"), 1);
  });

  test("a truncated KEXINIT inside a well-framed packet is an error, not a throw", () => {
    const counters = new Counters();
    const r = new SshStreamReader(counters);
    const bad = Buffer.concat([
      Buffer.from("SSH-2.0-x\r\n"),
      sshPacket(20, Buffer.concat([Buffer.alloc(16), sshString("a")])),
    ]);
    r.push(bad, 0, bad.length);
    assert.equal(r.state, "error");
    assert.equal(counters.get("ssh.kexinit_malformed"), 1);
  });

  test("push past the end of the buffer is clamped, later pushes ignored once finished", () => {
    const r = new SshStreamReader(new Counters());
    const data = Buffer.from("SSH-2.0-x\r\n");
    r.push(data, 0, 1000);
    assert.equal(r.banner, "SSH-2.0-x");
    r.push(data, -5, 3);
    assert.equal(r.state, "packets");
  });
});

describe("parseKexinit and HASSH", () => {
  test("first_kex_packet_follows, non-ASCII and NUL bytes as tshark treats them", () => {
    const pkt = kexinitPacket(["kex\u00e9,b", "h", "e\u0000x", "e2", "m", "m2", "c", "c2", "l", "l2"], true);
    const payloadEnd = 4 + pkt.readUInt32BE(0) - pkt[4];
    const kex = parseKexinit(pkt, 5, payloadEnd, new Counters());
    assert.ok(kex);
    assert.equal(kex.firstKexPacketFollows, true);
    assert.equal(kex.kexAlgorithms, "kex\ufffd,b");
    assert.equal(kex.languagesS2C, "l2");
    // tshark joins the lists as C strings: the NUL ends the encryption list.
    assert.equal(hassh(kex).hassh_algorithms, "kex\ufffd,b;e;m;c");
    assert.equal(hasshServer(kex).hassh_server_algorithms, "kex\ufffd,b;e2;m2;c2");
  });

  test("malformed payloads give undefined", () => {
    const c = new Counters();
    assert.equal(parseKexinit(Buffer.from([20]), 0, 1, c), undefined);
    assert.equal(parseKexinit(Buffer.alloc(100), 0, 100, c), undefined); // message 0
    const lying = Buffer.alloc(80);
    lying[0] = 20;
    lying.writeUInt32BE(0xffffffff, 17);
    assert.equal(parseKexinit(lying, 0, 80, c), undefined);
    assert.equal(c.get("ssh.kexinit_malformed"), 3);
  });
});

describe("ssh_extras", () => {
  const kexinitOf = (lists: string[]) => {
    const payload = Buffer.concat([
      Buffer.from([20]),
      Buffer.alloc(16),
      ...lists.map((l) => sshString(l)),
      Buffer.alloc(5),
    ]);
    return parseKexinit(payload, 0, payload.length, new Counters());
  };
  const client = kexinitOf([
    "k",
    "h",
    "aes128-ctr,chacha20-poly1305@openssh.com",
    "x",
    "m",
    "m",
    "none",
    "none",
    "",
    "",
  ]);
  const server = kexinitOf([
    "k",
    "h",
    "y",
    "chacha20-poly1305@openssh.com,aes128-ctr",
    "m",
    "m",
    "none",
    "none",
    "",
    "",
  ]);

  test("the reference pairs the server's s2c list with the client's c2s list", () => {
    assert.ok(client && server);
    // Server order decides: chacha20 comes first in the server's server-to-client list.
    assert.equal(selectEncryptionAlgorithm(client, server), "chacha20-poly1305@openssh.com");
  });

  test("no cipher when the server's KEXINIT came first; null fields; omitted when empty", () => {
    const e = sshExtras({
      clientBanner: "SSH-2.0-a",
      clientKexinit: client,
      serverKexinit: server,
      serverKexinitFirst: true,
    });
    assert.equal(e?.encryption_algorithm, null);
    assert.equal(e?.ssh_protocol_server, null);
    assert.equal(e?.ssh_protocol_client, "SSH-2.0-a");
    assert.equal(sshExtras({}), undefined);
  });
});
