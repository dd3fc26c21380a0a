import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { formatIpv4 } from "../../src/decode/address.js";
import { ipv4Text } from "../../src/flow/flow-key.js";

describe("FlowKey address text", () => {
  test("the cached dotted quad of an IPv4 word is its address's text, whatever came before", () => {
    const bytes = Buffer.alloc(4);
    // Few recurring addresses among many (hits, misses, and slots taken over by others).
    const recurring = [0, -1, 0x0a0d0012, -0x45a2f28b, 0x7f000001];
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...recurring), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
        (w) => {
          bytes.writeInt32BE(w, 0);
          assert.equal(ipv4Text(w), formatIpv4(bytes, 0));
        },
      ),
      { seed: 791, numRuns: 100_000 },
    );
  });
});
