import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  DEFAULT_P0F_FP_PATH,
  loadP0fDatabase,
  P0fDatabaseError,
} from "../../src/fingerprint/p0f/load-database.js";
import { ANY, formatP0fErrors, parseP0fDatabase, Quirk } from "../../src/fingerprint/p0f/signature-file.js";
import { findP0f } from "./p0f-log.js";
import { rng } from "./synth.js";

const HAVE_FP = existsSync(DEFAULT_P0F_FP_PATH);
const P0F = findP0f();

/** p0f's own verdict on a database text: signature count, or the line of its first error. */
function p0fVerdict(text: string): { loaded?: number; errorLine?: number; message: string } | undefined {
  if (!P0F) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "p0f-verdict-"));
  try {
    const fp = join(dir, "t.fp");
    const pcap = join(dir, "empty.pcap");
    writeFileSync(fp, text, "latin1");
    writeFileSync(pcap, Buffer.from("d4c3b2a1020004000000000000000000ffff000001000000", "hex"));
    const r = spawnSync(P0F, ["-f", fp, "-r", pcap, "-o", join(dir, "log")], { encoding: "utf8" });
    const out = r.stdout + r.stderr;
    const loaded = /Loaded (\d+) signatures?/.exec(out);
    const line = /ABORT : .*?line (\d+)/.exec(out);
    return {
      loaded: r.status === 0 && loaded ? Number(loaded[1]) : undefined,
      errorLine: r.status !== 0 && line ? Number(line[1]) : undefined,
      message: (/ABORT : (.*)/.exec(out) ?? ["", ""])[1],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A small database exercising every construct of the format (p0f docs/README §5). */
const SMALL = `; comment
classes = win,unix,other

[mtu]
label = Ethernet or modem
sig   = 576
sig   = 1500

[tcp:request]
label = s:unix:Linux:3.11 and newer
sig   = *:64:0:*:mss*20,10:mss,sok,ts,nop,ws:df,id+:0
sig   = 4:64+10:0:1460:%8192,*:mss,nop,eol+3::+
label = g:win:Windows:
sig   = *:128:0:*:*,*:mss,nop,ws,nop,nop,sok:df,id+:*
label = s:!:NMap:SYN scan
sys   = @unix,@win,Plan 9
sig   = *:64-:0:1460:1024,0:mss::0
sig   = 6:64:0:265:mtu*4,0:?30,sack:flow,ecn:0

[tcp:response]
label = s:unix:linux:2.6.x
sig   = *:64:0:*:mss*4,*:mss,nop,ws:df:0

[http:request]
ua_os = Linux,Windows,iOS=[iPhone]
label = s:!:curl:
sys   = @unix
sig   = *:User-Agent,Host,?Accept=[*/*]:Connection,Accept-Encoding:curl/
`;

describe("p0f.fp parser", () => {
  test("every construct of a small hand-written database", () => {
    const { database: db, errors } = parseP0fDatabase(SMALL, "small.fp");
    assert.deepEqual(errors, []);
    assert.deepEqual(db.classes, ["win", "unix", "other"]);
    assert.equal(db.signatureCount, 9);
    assert.deepEqual(
      db.mtu.map((m) => [m.label, m.mtu, m.line]),
      [
        ["Ethernet or modem", 576, 6],
        ["Ethernet or modem", 1500, 7],
      ],
    );
    const [linux, linux2, win, nmap, nmap6] = db.tcpRequest;
    assert.deepEqual(
      [
        linux.line,
        linux.ipVersion,
        linux.ttl,
        linux.badTtl,
        linux.ipOptLen,
        linux.mss,
        linux.winType,
        linux.win,
      ],
      [11, ANY, 64, false, 0, ANY, "mss", 20],
    );
    assert.deepEqual(
      [linux.wscale, [...linux.layout], linux.eolPad, linux.quirks, linux.payloadClass],
      [10, [2, 4, 8, 1, 3], 0, Quirk.DF | Quirk.NZ_ID, 0],
    );
    assert.deepEqual(
      [linux.label.name, linux.label.flavor, linux.label.osClass, linux.label.generic],
      ["Linux", "3.11 and newer", "unix", false],
    );
    assert.deepEqual(
      [
        linux2.ipVersion,
        linux2.ttl,
        linux2.mss,
        linux2.winType,
        linux2.win,
        linux2.wscale,
        [...linux2.layout],
        linux2.eolPad,
        linux2.quirks,
        linux2.payloadClass,
      ],
      [4, 74, 1460, "mod", 8192, ANY, [2, 1, 0], 3, 0, 1],
    );
    assert.deepEqual(
      [win.label.generic, win.label.flavor, win.winType, win.payloadClass],
      [true, null, "any", ANY],
    );
    assert.deepEqual(
      [nmap.label.osClass, nmap.label.sys, nmap.badTtl, nmap.ttl, nmap.win],
      [null, ["@unix", "@win", "Plan 9"], true, 64, 1024],
    );
    assert.deepEqual(
      [nmap6.ipVersion, nmap6.winType, nmap6.win, [...nmap6.layout], nmap6.quirks],
      [6, "mtu", 4, [30, 5], Quirk.FLOW | Quirk.ECN],
    );
    // Names are case-insensitive; p0f prints the first spelling ("Linux", not "linux").
    assert.equal(db.tcpResponse[0].label.name, "Linux");
    assert.equal(db.tcpResponse[0].label.nameId, linux.label.nameId);
    assert.deepEqual(db.uaOs, [
      { name: "Linux", match: "Linux" },
      { name: "Windows", match: "Windows" },
      { name: "iOS", match: "iPhone" },
    ]);
    const curl = db.httpRequest[0];
    assert.deepEqual(
      [curl.httpVersion, curl.headers, curl.absent, curl.expectedSoftware],
      [
        ANY,
        [
          { name: "User-Agent", value: null, optional: false },
          { name: "Host", value: null, optional: false },
          { name: "Accept", value: "*/*", optional: true },
        ],
        ["Connection", "Accept-Encoding"],
        "curl/",
      ],
    );
  });

  test("p0f itself accepts the small database with the same count", {
    skip: P0F ? false : "p0f not installed",
  }, () => {
    assert.equal(p0fVerdict(SMALL)?.loaded, 9);
  });

  test("like p0f, nothing after a NUL byte is read", () => {
    const text = `${SMALL}\0this is not a statement\nsig = nonsense\n`;
    assert.deepEqual(parseP0fDatabase(text).errors, []);
    const v = p0fVerdict(text);
    if (v) assert.equal(v.loaded, 9);
  });

  test("p0f's quirks kept: sign in the TTL, the skipped character after 'ttl-:', empty numbers", () => {
    const head = "classes = unix\n[tcp:request]\nlabel = s:unix:X:\n";
    const one = (sig: string) => {
      const r = parseP0fDatabase(`${head}sig = ${sig}\n`);
      assert.deepEqual(r.errors, [], sig);
      return r.database.tcpRequest[0];
    };
    assert.equal(one("*:+64:0:*:1,0:mss::0").ttl, 128, "atol reads +64, then +64 is added");
    assert.equal(one("*:64-:5:1460:1,0:mss::0").ipOptLen, 0, "p0f skips past ':5' after 'ttl-'");
    const e = one("*:64:::,:mss::0");
    assert.deepEqual([e.ipOptLen, e.mss, e.win, e.wscale], [0, 0, 0, 0]);
  });

  const bad: Array<[string, string, number, RegExp]> = [
    [
      "sig before a label",
      "classes = unix\n[tcp:request]\nsig = *:64:0:*:1,0:mss::0\n",
      3,
      /misplaced 'sig'/,
    ],
    ["unknown class", "classes = unix\n[tcp:request]\nlabel = s:beos:X:\n", 3, /unknown class 'beos'/],
    [
      "TTL out of range",
      "classes = unix\n[tcp:request]\nlabel = s:unix:X:\nsig = *:300:0:*:1,0:mss::0\n",
      4,
      /bogus initial TTL '300'/,
    ],
    [
      "MSS multiplier 0",
      "classes = unix\n[tcp:request]\nlabel = s:unix:X:\nsig = *:64:0:*:mss*0,0:mss::0\n",
      4,
      /multiplier 0/,
    ],
    [
      "EOL not last",
      "classes = unix\n[tcp:request]\nlabel = s:unix:X:\nsig = *:64:0:*:1,0:eol+1,mss::0\n",
      4,
      /EOL must be the last option/,
    ],
    [
      "unknown option",
      "classes = unix\n[tcp:request]\nlabel = s:unix:X:\nsig = *:64:0:*:1,0:mss,xyz::0\n",
      4,
      /unrecognized TCP option at 'xyz/,
    ],
    [
      "unknown quirk",
      "classes = unix\n[tcp:request]\nlabel = s:unix:X:\nsig = *:64:0:*:1,0:mss:df,foo:0\n",
      4,
      /unrecognized quirk at 'foo/,
    ],
    [
      "df on IPv6",
      "classes = unix\n[tcp:request]\nlabel = s:unix:X:\nsig = 6:64:0:*:1,0:mss:df:0\n",
      4,
      /'df' is not valid for IPv6/,
    ],
    [
      "flow on IPv4",
      "classes = unix\n[tcp:request]\nlabel = s:unix:X:\nsig = 4:64:0:*:1,0:mss:flow:0\n",
      4,
      /'flow' is not valid for IPv4/,
    ],
    [
      "payload class",
      "classes = unix\n[tcp:request]\nlabel = s:unix:X:\nsig = *:64:0:*:1,0:mss::2\n",
      4,
      /malformed payload class '2'/,
    ],
    [
      "window without comma",
      "classes = unix\n[tcp:request]\nlabel = s:unix:X:\nsig = *:64:0:*:1:0:mss::0\n",
      4,
      /window size followed by ':'/,
    ],
    ["section without direction", "[tcp]\n", 1, /malformed section identifier/],
    ["unknown module", "[smtp:request]\n", 1, /unrecognized fingerprinting module 'smtp'/],
    ["unknown direction", "[tcp:sideways]\n", 1, /unrecognized traffic direction/],
    ["classes inside a section", "[mtu]\nclasses = win\n", 2, /misplaced 'classes'/],
    [
      "application label without sys",
      "classes = unix\n[tcp:request]\nlabel = s:!:Tool:\nsig = *:64:0:*:1,0:mss::0\n",
      4,
      /needs a 'sys =' line/,
    ],
    ["unknown field", "classes = unix\nfoo = bar\n", 2, /unrecognized field 'foo'/],
    ["not a statement", "classes = unix\njust words\n", 2, /unexpected statement 'just words'/],
    [
      "duplicate signature",
      "classes = unix\n[tcp:request]\nlabel = s:unix:X:\nsig = *:64:0:*:1,0:mss::0\nlabel = s:unix:Y:\nsig = *:64:0:*:1,0:mss::0\n",
      6,
      /already covered by line 4/,
    ],
    ["MTU value", "[mtu]\nlabel = x\nsig = 15oo\n", 3, /malformed MTU value '15oo'/],
    ["empty MTU label", "[mtu]\nlabel =\n", 2, /empty MTU label/],
    [
      "HTTP version",
      "classes = unix\n[http:request]\nlabel = s:!:x:\nsys = @unix\nsig = 2:Host::x\n",
      5,
      /bad HTTP version '2'/,
    ],
    ["misplaced ua_os", "classes = unix\n[http:response]\nua_os = Linux\n", 3, /misplaced 'ua_os'/],
    ["malformed class list", "classes = win,,unix,\n", 1, /malformed class entry/],
  ];
  for (const [what, text, line, re] of bad) {
    test(`error names the line: ${what}`, () => {
      const { errors } = parseP0fDatabase(text, "bad.fp");
      assert.ok(errors.length >= 1, "an error is reported");
      assert.equal(errors[0].line, line);
      assert.match(errors[0].message, re);
      // p0f, when installed, rejects the same file at the same line.
      const v = p0fVerdict(text);
      if (v) assert.equal(v.errorLine, line, `p0f: ${v.message}`);
    });
  }

  test("every error of a file is reported, then formatted as file:line: message", () => {
    const text = [
      "classes = unix", // 1
      "[tcp:request]", // 2
      "label = s:unix:A:", // 3
      "sig = *:64:0:*:1,0:mss::0", // 4 ok
      "sig = *:64:0:*:2,0:mss:zz:0", // 5 bad quirk
      "label = q:unix:B:", // 6 bad label type
      "sig = *:64:0:*:3,0:mss::0", // 7 skipped: its label is broken
      "label = s:unix:C:", // 8
      "sig = *:999:0:*:4,0:mss::0", // 9 bad TTL
    ].join("\n");
    const { database, errors } = parseP0fDatabase(text, "multi.fp");
    assert.deepEqual(
      errors.map((e) => e.line),
      [5, 6, 9],
    );
    assert.equal(database.tcpRequest.length, 1);
    const msg = formatP0fErrors("multi.fp", errors);
    assert.match(msg, /^multi\.fp:5: unrecognized quirk/m);
    assert.match(msg, /^multi\.fp:6: malformed label: type must be 's' or 'g'/m);
    assert.match(msg, /^multi\.fp:9: bogus initial TTL/m);
  });

  test("CR line ends and trailing blanks are tolerated", () => {
    const { errors, database } = parseP0fDatabase(SMALL.replaceAll("\n", "  \r\n"));
    assert.deepEqual(errors, []);
    assert.equal(database.signatureCount, 9);
  });

  test("loadP0fDatabase: path in every error line; unreadable file", () => {
    const dir = mkdtempSync(join(tmpdir(), "p0f-fp-"));
    try {
      const path = join(dir, "broken.fp");
      writeFileSync(
        path,
        "classes = unix\n[tcp:request]\nlabel = s:unix:X:\nsig = *:64:0:*:1,0:mss:nope:0\n",
      );
      assert.throws(
        () => loadP0fDatabase(path),
        (e: unknown) =>
          e instanceof P0fDatabaseError &&
          e.errors[0].line === 4 &&
          e.message.includes(`${path}:4: unrecognized quirk`),
      );
      assert.throws(() => loadP0fDatabase(join(dir, "missing.fp")), /cannot read p0f database/);
      writeFileSync(path, SMALL);
      assert.equal(loadP0fDatabase(path).signatureCount, 9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`the installed ${DEFAULT_P0F_FP_PATH} loads; its size is what p0f reports`, {
    skip: HAVE_FP ? false : "no p0f.fp",
  }, (t) => {
    const db = loadP0fDatabase();
    let expected = 322; // corpus README: the Debian p0f 3.09b database has 322 signatures
    if (P0F) {
      const dir = mkdtempSync(join(tmpdir(), "p0f-count-"));
      try {
        const pcap = join(dir, "empty.pcap");
        writeFileSync(pcap, Buffer.from("d4c3b2a1020004000000000000000000ffff000001000000", "hex"));
        const r = spawnSync(P0F, ["-r", pcap, "-o", join(dir, "log")], { encoding: "utf8" });
        const m = /Loaded (\d+) signatures/.exec(r.stdout + r.stderr);
        assert.ok(m, "p0f prints its signature count");
        expected = Number(m[1]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    assert.equal(db.signatureCount, expected);
    t.diagnostic(
      `${db.signatureCount} signatures (${db.tcpRequest.length} SYN, ${db.tcpResponse.length} SYN+ACK)`,
    );
  });

  test("accepts and rejects mutated databases exactly like p0f (first error line)", {
    skip: !P0F ? "p0f not installed" : !HAVE_FP ? "no p0f.fp" : false,
    timeout: 120_000,
  }, (t) => {
    const base = readFileSync(DEFAULT_P0F_FP_PATH, "latin1").split("\n");
    const candidates = base
      .map((l, i) => [l, i] as const)
      .filter(([l]) => l.length > 0 && !l.startsWith(";"));
    const r = rng(0xf11e);
    const alphabet = "0123456789:,*+-%?!@=[]abcdeflmnopstuwxyz ";
    const dir = mkdtempSync(join(tmpdir(), "p0f-mut-"));
    const pcap = join(dir, "empty.pcap");
    writeFileSync(pcap, Buffer.from("d4c3b2a1020004000000000000000000ffff000001000000", "hex"));
    let rejected = 0;
    const N = 300;
    try {
      for (let n = 0; n < N; n++) {
        const lines = base.slice();
        for (let k = 1 + r(3); k > 0; k--) {
          const [l, i] = candidates[r(candidates.length)];
          const pos = r(l.length);
          const c = alphabet[r(alphabet.length)];
          switch (r(5)) {
            case 0:
              lines[i] = l.slice(0, pos) + l.slice(pos + 1);
              break;
            case 1:
              lines[i] = l.slice(0, pos) + c + l.slice(pos);
              break;
            case 2:
              lines[i] = l.slice(0, pos) + c + l.slice(pos + 1);
              break;
            case 3:
              lines[i] = "";
              break;
            default:
              lines[(i + 1 + r(40)) % lines.length] = l;
          }
          lines[i] = lines[i].replace(/[ \t]+$/, "");
        }
        const text = lines.join("\n");
        const fp = join(dir, "m.fp");
        writeFileSync(fp, text, "latin1");
        const p = spawnSync(P0F as string, ["-f", fp, "-r", pcap, "-o", join(dir, "m.log")], {
          encoding: "utf8",
        });
        const ours = parseP0fDatabase(text).errors;
        if (p.status === 0) {
          assert.deepEqual(ours, [], `p0f accepts mutation ${n}`);
        } else {
          const m = /line (\d+)/.exec(p.stderr);
          assert.ok(m, `p0f error names a line: ${p.stderr}`);
          assert.ok(ours.length > 0, `p0f rejects mutation ${n}: ${p.stderr.split("\n")[0]}`);
          assert.equal(ours[0].line, Number(m[1]), `${p.stderr.split("\n")[0]} / ours: ${ours[0].message}`);
          rejected++;
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    t.diagnostic(
      `${N} mutated databases: ${rejected} rejected, ${N - rejected} accepted, all as p0f decided`,
    );
    assert.ok(rejected > 60 && rejected < N);
  });
});

describe("p0f.fp parser never throws (fuzz)", { timeout: 60_000 }, () => {
  const head = "classes = win,unix,other\n[tcp:request]\nlabel = s:unix:Linux:x\n";
  const chars = fc.constantFrom(..."0123456789:,*+-%?!@=[];\\r\\n abcdefgilmnopqrstuwxyz4\t".split(""));
  const keys = fc.constantFrom(
    "sig = ",
    "label = ",
    "sys = ",
    "classes = ",
    "ua_os = ",
    "[",
    "[tcp:",
    "[http:",
    "",
    "sig = *:64:0:*:",
  );

  test("random statements after a valid header (60,000 inputs)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(keys, fc.string({ unit: chars, maxLength: 50 })), { maxLength: 4 }),
        (stmts) => {
          const text = head + stmts.map(([k, v]) => k + v).join("\n");
          const r = parseP0fDatabase(text);
          for (const e of r.errors) assert.ok(e.line >= 1 && e.message.length > 0);
        },
      ),
      { seed: 0xfee1, numRuns: 60_000 },
    );
  });

  test("mutations of real signature lines and arbitrary text (40,000 inputs)", () => {
    const lines = SMALL.split("\n").filter((l) => l.length > 0);
    fc.assert(
      fc.property(
        fc.constantFrom(...lines),
        fc.nat({ max: 80 }),
        fc.string({ maxLength: 6 }),
        fc.nat({ max: 4 }),
        fc.string({ maxLength: 40 }),
        (line, pos, insert, cut, junk) => {
          const p = Math.min(pos, line.length);
          const mutated = line.slice(0, p) + insert + line.slice(Math.min(line.length, p + cut));
          parseP0fDatabase(`${head}${mutated}\n${junk}`);
          parseP0fDatabase(junk);
        },
      ),
      { seed: 0xfee2, numRuns: 40_000 },
    );
  });
});
