import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import fc from "fast-check";
import { makeJsonRecord } from "../../src/sink/json-record.js";
import { LineWriter } from "../../src/sink/line-writer.js";
import {
  encodeFieldRun,
  observationToJsonLine,
  observationToJsonLineSlow,
  writeObservationLine,
} from "../../src/sink/observation-format.js";
import { escapeParamValue, formatSyslogLine } from "../../src/sink/syslog-line.js";
import { SnifferEngine } from "../../src/sniffer/engine.js";
import { ether, frameOf, ipv4, tcp } from "../decode/build.js";

/** A destination that keeps a copy of every chunk written to it. */
function collectingSink(): { chunks: Buffer[]; sink: Writable } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  return { chunks, sink };
}

describe("RFC 5424 line (DESIGN §5)", () => {
  test("golden line, written by hand from the contract", () => {
    const line = formatSyslogLine({
      tsUs: Date.UTC(2026, 10, 28, 1, 2, 3) * 1000 + 45,
      severity: 6,
      hostname: "web01",
      appName: "sniffer",
      msgId: "tls_client_hello",
      fields: { src_ip: "198.51.100.7", sni: 'a"b]c\\d' },
    });
    assert.equal(
      line,
      '<134>1 2026-11-28T01:02:03.000045+00:00 web01 sniffer - tls_client_hello [relay@55555 src_ip="198.51.100.7" sni="a\\"b\\]c\\\\d"]',
    );
  });

  test("warning severity and empty structured data", () => {
    const line = formatSyslogLine({
      tsUs: 0,
      severity: 4,
      hostname: "",
      appName: "prober",
      msgId: "x",
      fields: {},
    });
    assert.equal(line, "<132>1 1970-01-01T00:00:00.000000+00:00 - prober - x -");
  });

  test("attacker-supplied control characters cannot end the line or forge one", () => {
    const evil =
      'x"] \n<134>1 2026-01-01T00:00:00+00:00 forged sniffer - tls_session [relay@55555 src_ip="1.2.3.4"]\r\u2028';
    const line = formatSyslogLine({
      tsUs: 0,
      severity: 6,
      hostname: "d",
      appName: "sniffer",
      msgId: "m",
      fields: { sni: evil },
    });
    assert.ok(!/[\n\r\u2028\u2029]/.test(line));
    assert.equal(escapeParamValue("\n"), "\\x0a");
    // Exactly one structured-data element that closes at the very end.
    assert.ok(line.endsWith('"]'));
    assert.equal(line.match(/(?<!\\)\]/g)?.length, 1);
  });

  test("JSON record: attacker_ip is the first present of the contract's fields", () => {
    const r = makeJsonRecord(0, "d", "sniffer", "e", { target_ip: "t", client_ip: "c" }, "", "raw");
    assert.equal(r.attacker_ip, "c");
    assert.equal(makeJsonRecord(0, "d", "s", "e", {}, "", "").attacker_ip, "Unknown");
    assert.equal(r.timestamp, "1970-01-01 00:00:00");
  });
});

describe("fast JSON line", () => {
  test("equals JSON.stringify of the DECNET record for arbitrary observations", () => {
    const text = fc.string({ unit: "binary", maxLength: 40 });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000_000 }),
        fc.oneof(fc.constantFrom("web01", "10.13.0.10", "2001:db8::1"), text),
        fc.constantFrom(4, 6),
        fc.constantFrom("tls_client_hello", "tcp_syn_fingerprint"),
        fc.dictionary(
          fc.oneof(fc.constantFrom("src_ip", "sni", "ja4", "client_ip"), fc.string({ maxLength: 8 })),
          text,
          {
            maxKeys: 8,
          },
        ),
        (tsUs, decky, severity, eventType, fields) => {
          const o = { tsUs, decky, severity, eventType, fields };
          assert.equal(observationToJsonLine(o), observationToJsonLineSlow(o));
          JSON.parse(observationToJsonLine(o));
        },
      ),
      { seed: 5424, numRuns: 20000 },
    );
  });
});

describe("direct line writer", () => {
  test("writes exactly the reference line and a newline, through buffer flushes and oversized lines", () => {
    const { chunks, sink } = collectingSink();
    // A small buffer: lines straddle flushes, and some do not fit at all.
    const w = new LineWriter(sink, 512);
    const expected: string[] = [];
    const text = fc.oneof(
      fc.constantFrom("198.51.100.7", "t13d1516h2_8daaf6152771_e5627efa2ab1", "", "a b", "x".repeat(300)),
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.string({ unit: "grapheme-ascii", maxLength: 40 }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000_000 }),
        fc.oneof(fc.constantFrom("web01", "10.13.0.10", "2001:db8::1", "a b", ""), text),
        fc.constantFrom(4, 6),
        fc.oneof(fc.constantFrom("tls_client_hello", "tcp_syn_fingerprint", "x".repeat(40)), text),
        fc.dictionary(
          fc.oneof(fc.constantFrom("src_ip", "sni", "ja4", "client_ip"), fc.string({ maxLength: 8 })),
          text,
          { maxKeys: 8 },
        ),
        (tsUs, decky, severity, eventType, fields) => {
          const o = { tsUs, decky, severity, eventType, fields };
          writeObservationLine(w, o);
          expected.push(observationToJsonLineSlow(o));
        },
      ),
      { seed: 5425, numRuns: 20000 },
    );
    w.flush();
    const got = Buffer.concat(chunks).toString("utf8");
    assert.equal(w.lines, expected.length);
    const want = expected.map((l) => `${l}\n`).join("");
    if (got !== want) {
      const gl = got.split("\n");
      const i = gl.findIndex((l, k) => l !== expected[k]);
      assert.equal(gl[i], expected[i], `line ${i}`);
    }
    assert.equal(got, want);
  });

  test("pre-encoded runs of fields give the same line; runs that do not match the fields are not used", () => {
    const { chunks, sink } = collectingSink();
    const w = new LineWriter(sink, 4096);
    const expected: string[] = [];
    const value = fc.oneof(
      fc.constantFrom("110", "64240", "M,N,W,N,N,S", "true", "t13d1516h2_8daaf6152771_e5627efa2ab1", ""),
      fc.string({ unit: "grapheme-ascii", maxLength: 12 }),
    );
    const runSpec = fc.record({
      a: fc.nat(),
      l: fc.nat(),
      tamper: fc.constantFrom("none", "none", "value", "key", "position"),
    });
    let used = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom("src_ip", "ttl", "window", "mss", "df", "ja4t", "a", "b", "c", "d"), {
          minLength: 1,
          maxLength: 10,
        }),
        fc.array(value, { minLength: 10, maxLength: 10 }),
        fc.array(runSpec, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (names, vals, specs, sorted) => {
          const fields: Record<string, string> = {};
          names.forEach((k, i) => {
            fields[k] = vals[i];
          });
          const runs = [];
          for (const { a, l, tamper } of specs) {
            const at = a % names.length;
            const len = 1 + (l % (names.length - at));
            const keys: string[] = names.slice(at, at + len);
            const values = vals.slice(at, at + len);
            if (tamper === "value") values[values.length - 1] += "x";
            if (tamper === "key") keys[0] = `${keys[0]}_`;
            const run = encodeFieldRun(tamper === "position" ? at + 1 : at, keys, values);
            if (run !== undefined) runs.push(run);
            if (run !== undefined && tamper === "none") used++;
          }
          // In field order, or as given (overlapping and out-of-order runs are skipped).
          if (sorted) runs.sort((x, y) => x.at - y.at);
          const o = {
            tsUs: 1_700_000_000_123_456,
            decky: "web01",
            severity: 6,
            eventType: "tcp_syn_fingerprint",
            fields,
            runs,
          };
          writeObservationLine(w, o);
          expected.push(observationToJsonLineSlow(o));
        },
      ),
      { seed: 5426, numRuns: 20000 },
    );
    w.flush();
    const got = Buffer.concat(chunks).toString("utf8").split("\n");
    for (let i = 0; i < expected.length; i++) assert.equal(got[i], expected[i], `line ${i}`);
    // Runs of PLAIN values were encoded, or nothing was checked.
    assert.ok(used > 5000, `only ${used} runs made`);
  });

  test("runs whose fields are the line's are copied, each where it stands; others are not", () => {
    // Runs built by hand with marker bytes instead of their fields' text: a marker in the
    // line shows the run was copied (a real run's bytes are the fields' own text).
    const marked = (at: number, keys: string[], values: string[], tag: string) => ({
      at,
      keys,
      values,
      json: Buffer.from(`<J${tag}>`),
      raw: Buffer.from(`<R${tag}>`),
    });
    const fields = { src_ip: "198.51.100.7", a: "1", b: "2", c: "3", d: "4", e: "5" };
    const line = (runs: ReturnType<typeof marked>[]) => {
      const { chunks, sink } = collectingSink();
      const w = new LineWriter(sink);
      writeObservationLine(w, { tsUs: 0, decky: "d", severity: 6, eventType: "e", fields, runs });
      w.flush();
      return Buffer.concat(chunks).toString("latin1");
    };
    const one = marked(1, ["a", "b"], ["1", "2"], "1");
    const two = marked(3, ["c"], ["3"], "2");
    const three = marked(4, ["d", "e"], ["4", "5"], "3");
    const all = line([one, two, three]);
    assert.match(all, /"src_ip":"198\.51\.100\.7",<J1>,<J2>,<J3>}/);
    assert.match(all, /src_ip=\\"198\.51\.100\.7\\"<R1><R2><R3>]/);
    // Not the line's values, not at its place, overlapping or behind the previous one: written field by field.
    assert.doesNotMatch(line([marked(1, ["a", "b"], ["1", "x"], "1")]), /<J1>/);
    assert.doesNotMatch(line([marked(2, ["a", "b"], ["1", "2"], "1")]), /<J1>/);
    const overlap = line([one, marked(2, ["b", "c"], ["2", "3"], "9")]);
    assert.match(overlap, /<J1>/);
    assert.doesNotMatch(overlap, /<J9>/);
    const behind = line([three, one]);
    assert.match(behind, /<J3>/);
    assert.doesNotMatch(behind, /<J1>/);
  });

  test("recurring deckies, event types, severities and seconds (line frames reused, replaced and colliding)", () => {
    const { chunks, sink } = collectingSink();
    const w = new LineWriter(sink, 8192);
    const expected: string[] = [];
    // Same lengths and same last characters: these pairs share frame slots.
    const deckies = ["web01", "db001", "ab1", "cd1", "10.13.0.10", "10.13.0.20", "a b", ""];
    const types = ["tls_session", "tls_sessiom", "tcp_syn_fingerprint", "ssh_fingerprint", 'x"y'];
    const base = 1_700_000_000_000_000;
    let t = base;
    fc.assert(
      fc.property(
        fc.constantFrom(...deckies),
        fc.constantFrom(...types),
        fc.constantFrom(4, 6),
        fc.constantFrom(0, 1, 7, 999_999, 1_000_000, 3_000_001),
        fc.uniqueArray(fc.constantFrom("src", "src_ip", "client_ip", "ip", "port", "ja4"), { maxLength: 6 }),
        fc.constantFrom("198.51.100.7", "2001:db8::1", "t13d1516h2_8daaf6152771_e5627efa2ab1", 'q"', ""),
        (decky, eventType, severity, step, names, value) => {
          t += step;
          const fields: Record<string, string> = {};
          names.forEach((k, i) => {
            fields[k] = i === 0 ? value : `${k}-${i}`;
          });
          const o = { tsUs: t, decky, severity, eventType, fields };
          writeObservationLine(w, o);
          expected.push(observationToJsonLineSlow(o));
        },
      ),
      { seed: 5427, numRuns: 20000 },
    );
    w.flush();
    const got = Buffer.concat(chunks).toString("utf8").split("\n");
    assert.equal(got.length, expected.length + 1);
    for (let i = 0; i < expected.length; i++) assert.equal(got[i], expected[i], `line ${i}`);
  });
});

describe("packet times a capture file can hold but a log line cannot", () => {
  // Expected texts from the platform's own Date, not from the code under test.
  const iso = (ms: number) => new Date(ms).toISOString();
  const lastMs = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

  test("before the epoch, NaN, and past 2^53 µs are held to the range; nothing throws", () => {
    const line = (tsUs: number) =>
      formatSyslogLine({ tsUs, severity: 6, hostname: "h", appName: "a", msgId: "m", fields: {} });
    assert.match(line(-10_000_000), /^<\d+>1 1970-01-01T00:00:00\.000000\+00:00 /);
    assert.match(line(Number.NaN), /^<\d+>1 1970-01-01T00:00:00\.000000\+00:00 /);
    const top = `${iso(lastMs).slice(0, 19)}.${String(Number.MAX_SAFE_INTEGER % 1_000_000).padStart(6, "0")}+00:00`;
    assert.equal(line(3000 * 2 ** 32 * 1e6).split(" ")[1], top);
    const rec = makeJsonRecord(1e30, "h", "sniffer", "e", {}, "", "");
    assert.equal(rec.timestamp, `${iso(lastMs).slice(0, 10)} ${iso(lastMs).slice(11, 19)}`);
  });

  test("one SYN with an absurd time does not stop the ones after it", () => {
    const { chunks, sink } = collectingSink();
    const w = new LineWriter(sink);
    const e = new SnifferEngine({ analyzers: ["tcp"], onObservation: (o) => writeObservationLine(w, o) });
    const syn = (sport: number) =>
      ether(
        0x0800,
        ipv4({
          src: "198.51.100.7",
          dst: "10.13.0.10",
          proto: 6,
          payload: tcp({ sport, dport: 22, flags: 0x02 }),
        }),
      );
    for (const [i, tsUs] of [3000 * 2 ** 32 * 1e6, -5e6, 1_700_000_000_000_000].entries())
      e.handleFrame(frameOf(1, syn(40000 + i), { tsUs }));
    e.finish();
    w.flush();
    const lines = Buffer.concat(chunks)
      .toString("utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.timestamp),
      [
        `${iso(lastMs).slice(0, 10)} ${iso(lastMs).slice(11, 19)}`,
        "1970-01-01 00:00:00",
        "2023-11-14 22:13:20",
      ],
    );
  });
});
