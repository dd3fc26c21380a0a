// Decky map: the per-packet lookups by raw address bytes, and --decky pairs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DeckyMap } from "../../src/sniffer/decky-map.js";

describe("DeckyMap", () => {
  test("IPv4 lookups by the address read as int32 from the packet, high addresses included", () => {
    const m = new DeckyMap();
    m.addPairs(["10.0.0.5=web01", " 203.0.113.250 = db01 "]);
    const b = Buffer.from([10, 0, 0, 5, 203, 0, 113, 250, 203, 0, 113, 251]);
    assert.equal(m.lookup4(b.readInt32BE(0)), "web01");
    assert.equal(m.lookup4(b.readInt32BE(4)), "db01");
    assert.equal(m.lookup4(b.readInt32BE(8)), undefined);
    assert.equal(m.size, 2);
  });

  test("IPv6 lookups by the 16 address bytes, whatever text form the decky was given in", () => {
    const m = new DeckyMap();
    m.addPairs(["2001:DB8:0:0::7=v6decky"]);
    const b = Buffer.alloc(20);
    b.write("20010db8000000000000000000000007", 2, "hex");
    assert.equal(m.lookup6(b, 2), "v6decky");
    b[17] = 8;
    assert.equal(m.lookup6(b, 2), undefined);
    assert.equal(new DeckyMap().lookup6(b, 2), undefined);
    // An IPv4-mapped decky is found under the text the packet formatter gives it (RFC 5952 §5).
    m.addPairs(["::FFFF:192.0.2.1=mapped"]);
    b.write("00000000000000000000ffffc0000201", 2, "hex");
    assert.equal(m.lookup6(b, 2), "mapped");
  });

  test("a pair that is not IP=NAME is refused with the offending value", () => {
    assert.throws(() => new DeckyMap().addPairs(["10.0.0.1"]), /--decky expects IP=NAME, got "10.0.0.1"/);
    assert.throws(() => new DeckyMap().addPairs(["web=10.0.0.1"]), /not an IP address/);
  });
});
