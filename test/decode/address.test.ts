import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatAddress, isIpv4Mapped, parseAddress } from "../../src/decode/address.js";
import { hex } from "./build.js";

/** Formats 16 bytes given as 32 hex digits (with a guard byte in front so offsets matter). */
const fmt6 = (h: string) => formatAddress(Buffer.concat([hex("ff"), hex(h)]), 1, 6);

describe("formatAddress", () => {
  test("IPv4 dotted quad", () => {
    assert.equal(formatAddress(hex("00 c0a80001"), 1, 4), "192.168.0.1");
    assert.equal(formatAddress(hex("00000000"), 0, 4), "0.0.0.0");
    assert.equal(formatAddress(hex("ffffffff"), 0, 4), "255.255.255.255");
  });

  // RFC 5952 §4 and its examples.
  const cases: Array<[string, string, string]> = [
    ["20010db8000000000000000000000001", "2001:db8::1", "§4.2.1 longest run compressed"],
    ["20010db8000000000001000000000001", "2001:db8::1:0:0:1", "§4.2.3 first run on a tie"],
    ["20010db8000000010001000100010001", "2001:db8:0:1:1:1:1:1", "§4.2.2 a single 0 group is not compressed"],
    ["20010000000000010000000000000001", "2001:0:0:1::1", "§4.2.3 the longer run wins"],
    ["20010db8aaaabbbbccccddddeeeeaaaa", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa", "§4.3 lowercase"],
    ["20010db8000000000000000000000000", "2001:db8::", "trailing run"],
    ["00000000000000000000000000000001", "::1", "loopback"],
    ["00000000000000000000000000000000", "::", "unspecified"],
    ["fe800000000000000202b3fffe1e8329", "fe80::202:b3ff:fe1e:8329", "leading zeros dropped"],
    ["00010000000000000000000000000000", "1::", "run to the end"],
    ["00000000000000010000000000000000", "0:0:0:1::", "first run on a tie (3 vs 4 → 4)"],
    ["000000000000ffff0000000000000000", "0:0:0:ffff::", "not IPv4-mapped"],
    ["00000000000000000000ffffc0000201", "::ffff:192.0.2.1", "§5 IPv4-mapped"],
    ["ffffffffffffffffffffffffffffffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "all ones"],
    ["00010002000300040005000600070008", "1:2:3:4:5:6:7:8", "no zeros"],
    ["0001000000020000000000030000000a", "1:0:2::3:0:a", "two runs, second longer"],
  ];
  for (const [bytes, text, why] of cases) {
    test(`RFC 5952: ${text} (${why})`, () => {
      assert.equal(fmt6(bytes), text);
    });
  }
});

describe("parseAddress", () => {
  test("IPv4 and IPv6 forms", () => {
    assert.deepEqual(parseAddress("10.1.2.3"), new Uint8Array([10, 1, 2, 3]));
    assert.deepEqual(Buffer.from(parseAddress("2001:db8::1") ?? []), hex("20010db8000000000000000000000001"));
    assert.deepEqual(Buffer.from(parseAddress("::") ?? []), Buffer.alloc(16));
    assert.deepEqual(
      Buffer.from(parseAddress("::ffff:192.0.2.1") ?? []),
      hex("00000000000000000000ffffc0000201"),
    );
    assert.deepEqual(Buffer.from(parseAddress("FE80::A") ?? []), hex("fe80000000000000000000000000000a"));
    assert.deepEqual(
      Buffer.from(parseAddress("1:2:3:4:5:6:7:8") ?? []),
      hex("00010002000300040005000600070008"),
    );
    assert.deepEqual(
      Buffer.from(parseAddress("1:2:3:4:5:6:7::") ?? []),
      hex("00010002000300040005000600070000"),
    );
  });

  test("rejects what is not an address", () => {
    for (const bad of [
      "",
      "1.2.3",
      "1.2.3.256",
      "01.2.3.4",
      "1.2.3.4.5",
      "a.b.c.d",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "12345::",
      "fe80::1%eth0",
      ":::",
      "1:2:3:4:5:6:7:8::",
      "::1.2.3",
    ]) {
      assert.equal(parseAddress(bad), undefined, bad);
    }
  });
});

describe("IPv4-mapped predicate", () => {
  test("::ffff:a.b.c.d only", () => {
    assert.equal(isIpv4Mapped(hex("00000000000000000000ffff01020304"), 0), true);
    assert.equal(isIpv4Mapped(hex("00000000000000000001ffff01020304"), 0), false);
  });
});
