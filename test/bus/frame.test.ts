// Frame encoder/decoder against bytes written by hand from DESIGN §5 "UNIX-socket wire protocol":
// ASCII header `VERB[ args]\n`, a 4-byte big-endian body length, then the JSON body or nothing.
// Header ≤ 4096 bytes counting its LF; body ≤ 1 MiB (1,048,576 bytes).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  encodeFrame,
  FrameDecoder,
  FrameError,
  type FrameFault,
  MAX_BODY_BYTES,
  MAX_HEADER_BYTES,
  VERBS,
  type Verb,
} from "../../src/bus/frame.js";

const hex = (s: string) => Buffer.from(s.replace(/[\s|]/g, ""), "hex");

// Golden frames, byte by byte.
const GOLDEN: { name: string; verb: Verb; arg: string; body: string; bytes: Buffer }[] = [
  {
    name: "HELLO sensor-1",
    verb: "HELLO",
    arg: "sensor-1",
    body: "",
    // H  E  L  L  O  ␠  s  e  n  s  o  r  -  1  LF | length 0
    bytes: hex("48 45 4c 4c 4f 20 73 65 6e 73 6f 72 2d 31 0a | 00 00 00 00"),
  },
  {
    name: "SUB decky.*.traffic",
    verb: "SUB",
    arg: "decky.*.traffic",
    body: "",
    bytes: hex("53 55 42 20 64 65 63 6b 79 2e 2a 2e 74 72 61 66 66 69 63 0a | 00 00 00 00"),
  },
  {
    name: "UNSUB decky.>",
    verb: "UNSUB",
    arg: "decky.>",
    body: "",
    bytes: hex("55 4e 53 55 42 20 64 65 63 6b 79 2e 3e 0a | 00 00 00 00"),
  },
  { name: "BYE", verb: "BYE", arg: "", body: "", bytes: hex("42 59 45 0a | 00 00 00 00") },
  {
    name: 'PUB a.b {"x":1}',
    verb: "PUB",
    arg: "a.b",
    body: '{"x":1}',
    // P  U  B  ␠  a  .  b  LF | 7 | {  "  x  "  :  1  }
    bytes: hex("50 55 42 20 61 2e 62 0a | 00 00 00 07 | 7b 22 78 22 3a 31 7d"),
  },
  {
    name: 'EVT a.b {"n":"é"} (UTF-8 body, length in bytes)',
    verb: "EVT",
    arg: "a.b",
    body: '{"n":"é"}',
    // é is c3 a9: 10 bytes
    bytes: hex("45 56 54 20 61 2e 62 0a | 00 00 00 0a | 7b 22 6e 22 3a 22 c3 a9 22 7d"),
  },
];

interface Got {
  verb: Verb;
  arg: string;
  body: Buffer;
}

function decodeAll(chunks: Buffer[]): { frames: Got[]; fault: FrameFault | undefined; dec: FrameDecoder } {
  const frames: Got[] = [];
  const dec = new FrameDecoder((verb, arg, body) => {
    frames.push({ verb, arg, body: Buffer.from(body) });
    return true;
  });
  for (const c of chunks) if (!dec.push(c)) break;
  return { frames, fault: dec.fault, dec };
}

describe("frame encoding (golden bytes)", () => {
  for (const g of GOLDEN) {
    test(g.name, () => {
      const enc = encodeFrame(g.verb, g.arg, g.body === "" ? undefined : g.body);
      assert.deepEqual(enc, g.bytes);
    });
  }

  test("a body given as bytes is framed the same", () => {
    assert.deepEqual(encodeFrame("PUB", "a.b", Buffer.from('{"x":1}')), GOLDEN[4].bytes);
  });

  test("length field is big-endian: 256 → 00 00 01 00, 65537 → 00 01 00 01", () => {
    const f256 = encodeFrame("PUB", "t", "x".repeat(256));
    assert.deepEqual(f256.subarray(6, 10), hex("00 00 01 00"));
    const f65537 = encodeFrame("PUB", "t", "x".repeat(65537));
    assert.deepEqual(f65537.subarray(6, 10), hex("00 01 00 01"));
  });

  test("refuses unknown verbs, non-ASCII or newline args, edge spaces", () => {
    assert.throws(() => encodeFrame("NOPE" as Verb), FrameError);
    assert.throws(() => encodeFrame("SUB", "a\nb"), FrameError);
    assert.throws(() => encodeFrame("SUB", "é"), FrameError);
    assert.throws(() => encodeFrame("SUB", " a"), FrameError);
  });
});

describe("frame decoding (golden bytes)", () => {
  for (const g of GOLDEN) {
    test(g.name, () => {
      const { frames, fault } = decodeAll([g.bytes]);
      assert.equal(fault, undefined);
      assert.equal(frames.length, 1);
      assert.equal(frames[0].verb, g.verb);
      assert.equal(frames[0].arg, g.arg);
      assert.equal(frames[0].body.toString("utf8"), g.body);
    });
  }

  const stream = Buffer.concat(GOLDEN.map((g) => g.bytes));

  test("all golden frames in one read, in order", () => {
    const { frames } = decodeAll([stream]);
    assert.deepEqual(
      frames.map((f) => [f.verb, f.arg, f.body.toString("utf8")]),
      GOLDEN.map((g) => [g.verb, g.arg, g.body]),
    );
  });

  test("resumable: every two-way split and byte-by-byte give the same frames", () => {
    const want = decodeAll([stream]).frames;
    for (let cut = 0; cut <= stream.length; cut++) {
      const { frames, fault } = decodeAll([stream.subarray(0, cut), stream.subarray(cut)]);
      assert.equal(fault, undefined);
      assert.deepEqual(frames, want, `split at ${cut}`);
    }
    const bytes = [...stream].map((b) => Buffer.from([b]));
    assert.deepEqual(decodeAll(bytes).frames, want);
  });

  test("a body inside one read is a view of it; a straddling body is a copy", () => {
    const bodies: Buffer[] = [];
    const dec = new FrameDecoder((_v, _a, body) => {
      bodies.push(body);
      return true;
    });
    const one = GOLDEN[4].bytes; // body '{"x":1}' at offset 12
    const chunk = Buffer.from(one);
    dec.push(chunk);
    chunk[12] = 0x5b; // writing into the read shows through the view
    assert.equal(bodies[0].toString(), '["x":1}');
    const a = Buffer.from(one.subarray(0, 15));
    const b = Buffer.from(one.subarray(15));
    dec.push(a);
    dec.push(b);
    a.fill(0);
    b.fill(0);
    assert.equal(bodies[1].toString(), '{"x":1}');
  });

  test("tolerates CR before LF and trims ASCII whitespace around args (as DECNET does)", () => {
    const { frames } = decodeAll([
      Buffer.from("SUB  decky.>\t\r\n\0\0\0\0PUB a.b \r\r\n\0\0\0\0BYE trailing\n\0\0\0\0"),
    ]);
    assert.deepEqual(
      frames.map((f) => [f.verb, f.arg]),
      [
        ["SUB", "decky.>"],
        ["PUB", "a.b"],
        ["BYE", "trailing"],
      ],
    );
  });

  test("malformed headers fault: unknown verb, lowercase verb, empty line, non-ASCII", () => {
    assert.equal(decodeAll([Buffer.from("FOO x\n\0\0\0\0")]).fault, "unknown_verb");
    assert.equal(decodeAll([Buffer.from("pub x\n\0\0\0\0")]).fault, "unknown_verb");
    assert.equal(decodeAll([Buffer.from("SUB\tx\n\0\0\0\0")]).fault, "unknown_verb");
    assert.equal(decodeAll([Buffer.from("\n\0\0\0\0")]).fault, "empty_header");
    assert.equal(decodeAll([Buffer.from("\r\n\0\0\0\0")]).fault, "empty_header");
    assert.equal(decodeAll([Buffer.from("SUB d\xe9cky\n\0\0\0\0", "latin1")]).fault, "header_not_ascii");
  });

  test("after a fault the decoder ignores further input", () => {
    const { dec, frames } = decodeAll([Buffer.from("FOO\n\0\0\0\0")]);
    assert.equal(dec.push(GOLDEN[3].bytes), false);
    assert.equal(frames.length, 0);
  });

  test("the handler can stop decoding (e.g. after BYE)", () => {
    let n = 0;
    const dec = new FrameDecoder(() => ++n < 2);
    assert.equal(dec.push(stream), false);
    assert.equal(n, 2);
    assert.equal(dec.stopped, true);
  });

  test("atBoundary tells a clean EOF from one mid-frame", () => {
    const dec = new FrameDecoder(() => true);
    assert.equal(dec.atBoundary, true);
    dec.push(GOLDEN[4].bytes.subarray(0, 9));
    assert.equal(dec.atBoundary, false);
    dec.push(GOLDEN[4].bytes.subarray(9));
    assert.equal(dec.atBoundary, true);
  });
});

describe("limits: header ≤ 4096 bytes including its LF", () => {
  assert.equal(MAX_HEADER_BYTES, 4096);
  // "HELLO " is 6 bytes: 6 + 4089 + LF = 4096.
  const maxName = "a".repeat(4089);

  test("a 4096-byte header (LF included) is accepted by encoder and decoder", () => {
    const f = encodeFrame("HELLO", maxName);
    assert.equal(f.indexOf(0x0a), 4095);
    const { frames, fault } = decodeAll([Buffer.from(`HELLO ${maxName}\n\0\0\0\0`, "latin1")]);
    assert.equal(fault, undefined);
    assert.equal(frames[0].arg.length, 4089);
  });

  test("the same header arriving in two reads, LF last, is accepted", () => {
    const text = Buffer.from(`HELLO ${maxName}`, "latin1");
    assert.equal(text.length, 4095);
    const { frames, fault } = decodeAll([text, Buffer.from("\n\0\0\0\0", "latin1")]);
    assert.equal(fault, undefined);
    assert.equal(frames.length, 1);
  });

  test("a 4097-byte header is refused by encoder and decoder", () => {
    assert.throws(() => encodeFrame("HELLO", `${maxName}a`), FrameError);
    assert.equal(decodeAll([Buffer.from(`HELLO ${maxName}a\n\0\0\0\0`, "latin1")]).fault, "header_too_long");
  });

  test("4096 bytes with no LF fault at once, in one read or several; 4095 wait for more", () => {
    const x = Buffer.alloc(4096, 0x41);
    assert.equal(decodeAll([x]).fault, "header_too_long");
    assert.equal(decodeAll([x.subarray(0, 2000), x.subarray(2000)]).fault, "header_too_long");
    const { fault, dec } = decodeAll([x.subarray(0, 4095)]);
    assert.equal(fault, undefined);
    assert.equal(dec.buffered, 4095);
  });
});

describe("limits: body ≤ 1 MiB", () => {
  assert.equal(MAX_BODY_BYTES, 1_048_576);

  test("a body of exactly 1,048,576 bytes is accepted (length 00 10 00 00)", () => {
    const body = Buffer.alloc(1_048_576, 0x20);
    const f = encodeFrame("PUB", "a", body);
    assert.deepEqual(f.subarray(0, 10), hex("50 55 42 20 61 0a | 00 10 00 00"));
    const wire = Buffer.concat([hex("50 55 42 20 61 0a 00 10 00 00"), body]);
    const { frames, fault } = decodeAll([wire.subarray(0, 70_000), wire.subarray(70_000)]);
    assert.equal(fault, undefined);
    assert.equal(frames[0].body.length, 1_048_576);
  });

  test("one byte more is refused, from the length field alone", () => {
    assert.throws(() => encodeFrame("PUB", "a", Buffer.alloc(1_048_577)), FrameError);
    assert.equal(decodeAll([hex("50 55 42 20 61 0a 00 10 00 01")]).fault, "body_too_long");
  });

  test("length 0xFFFFFFFF is refused at once, even split across reads", () => {
    assert.equal(decodeAll([hex("50 55 42 20 61 0a ff ff ff ff")]).fault, "body_too_long");
    assert.equal(decodeAll([hex("50 55 42 20 61 0a ff ff"), hex("ff ff")]).fault, "body_too_long");
  });

  test("a zero length means no body", () => {
    const { frames } = decodeAll([hex("50 55 42 20 61 0a 00 00 00 00")]);
    assert.equal(frames[0].body.length, 0);
  });
});

describe("decoder fuzz (fixed seed): never throws, frames always within the protocol", () => {
  const checkFrames = (chunks: Uint8Array[]) => {
    const dec = new FrameDecoder((verb, arg, body) => {
      assert.ok((VERBS as readonly string[]).includes(verb));
      assert.ok(body.length <= MAX_BODY_BYTES);
      assert.ok(/^[\x00-\x7f]*$/.test(arg));
      return true;
    });
    for (const c of chunks) if (!dec.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength))) break;
    assert.ok(dec.buffered <= MAX_HEADER_BYTES + MAX_BODY_BYTES);
  };

  test("random bytes in random reads (60,000 inputs)", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }), (chunks) => {
        checkFrames(chunks);
      }),
      { seed: 0x5eed, numRuns: 60_000 },
    );
  });

  test("mutated valid streams (40,000 inputs)", () => {
    const stream = Buffer.concat(GOLDEN.map((g) => g.bytes));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(stream.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(stream.length),
        (flips, cut) => {
          const s = Buffer.from(stream);
          for (const [i, v] of flips) s[i] = v;
          checkFrames([s.subarray(0, cut), s.subarray(cut)]);
        },
      ),
      { seed: 0xb00, numRuns: 40_000 },
    );
  });
});
