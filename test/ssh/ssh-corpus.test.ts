/**
 * Conformance on the shared corpus: stream bytes come from tshark (not from our flow
 * code); expected values from `*.tshark.json` (HASSH, HASSH-server and their strings) and
 * `*.expected.json` (ja4ssh lists and ssh_extras of the reference JA4+ tool).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { hassh, hasshServer } from "../../src/fingerprint/ssh/hassh.js";
import { Ja4SshWindow } from "../../src/fingerprint/ssh/ja4ssh.js";
import { Ja4SshSegmentClassifier } from "../../src/fingerprint/ssh/ja4ssh-segments.js";
import { sshExtras } from "../../src/fingerprint/ssh/ssh-extras.js";
import { SshStreamReader } from "../../src/fingerprint/ssh/ssh-stream.js";
import { corpusDir, skipWithoutCorpus } from "../helpers/shared.js";
import { freshData, skipWithoutTshark, type TcpStream, tcpStreams } from "./tshark-streams.js";

const CAPTURES = ["ssh-r.pcap", "ssh2-malformed.pcap", "ssh2-moloch-crash.pcap", "tcpdump-geneve.pcap"];

interface ExpectedRecord {
  stream: number;
  transport: string;
  src: string;
  src_port: number;
  ja4ssh?: string[];
  ssh_extras?: Record<string, string | null>;
}

interface TsharkPacket {
  src: string;
  src_port: number;
  "ssh.kex.hassh"?: string;
  "ssh.kex.hassh_algorithms"?: string;
  "ssh.kex.hasshserver"?: string;
  "ssh.kex.hasshserver_algorithms"?: string;
}

interface Analysed {
  ja4ssh: string[];
  client: SshStreamReader;
  server: SshStreamReader;
  serverKexinitFirst: boolean;
}

/** Runs our SSH code over one tshark stream, the way the engine will: packet by packet. */
function analyse(s: TcpStream, clientIp: string, clientPort: number): Analysed {
  const classifier = new Ja4SshSegmentClassifier();
  const window = new Ja4SshWindow();
  const client = new SshStreamReader();
  const server = new SshStreamReader();
  const ja4ssh: string[] = [];
  let clientDoneAt = -1;
  let serverDoneAt = -1;
  for (const { segment, fresh } of freshData(s)) {
    const fromClient = segment.src === clientIp && segment.srcPort === clientPort;
    let isSsh = false;
    if (fresh.length > 0) {
      isSsh = classifier.classify(fromClient, fresh, 0, fresh.length);
      const reader = fromClient ? client : server;
      reader.push(fresh, 0, fresh.length);
      if (fromClient && clientDoneAt < 0 && client.kexinit !== undefined) clientDoneAt = segment.frame;
      if (!fromClient && serverDoneAt < 0 && server.kexinit !== undefined) serverDoneAt = segment.frame;
    }
    const fp = window.addPacket(fromClient, segment.len, segment.flags === 0x010, isSsh);
    if (fp !== undefined) ja4ssh.push(fp);
  }
  const last = window.flush();
  if (last !== undefined) ja4ssh.push(last);
  const serverKexinitFirst = serverDoneAt >= 0 && (clientDoneAt < 0 || serverDoneAt < clientDoneAt);
  return { ja4ssh, client, server, serverKexinitFirst };
}

/** Matched/total per fingerprint kind, printed at the end. */
const tally = new Map<string, [number, number]>();
function count(kind: string, ok: boolean): void {
  const t = tally.get(kind) ?? [0, 0];
  t[0] += ok ? 1 : 0;
  t[1] += 1;
  tally.set(kind, t);
}

const skip = skipWithoutCorpus() || skipWithoutTshark();

describe("SSH corpus conformance", { skip }, () => {
  for (const name of CAPTURES) {
    test(name, () => {
      const dir = corpusDir()!;
      const file = join(dir, name);
      const expected = JSON.parse(readFileSync(`${file}.expected.json`, "utf8")) as ExpectedRecord[];
      const oracle = JSON.parse(readFileSync(`${file}.tshark.json`, "utf8")) as {
        streams: { transport: string; stream: number; packets: TsharkPacket[] }[];
      };
      const streams = tcpStreams(file);
      const mismatches: string[] = [];
      const check = (kind: string, stream: number, want: unknown, got: unknown): void => {
        const ok = JSON.stringify(want) === JSON.stringify(got);
        count(kind, ok);
        if (!ok) {
          mismatches.push(
            `${name} stream ${stream} ${kind}:\n  expected ${JSON.stringify(want)}\n  got      ${JSON.stringify(got)}`,
          );
        }
      };
      for (const rec of expected) {
        if (rec.transport !== "tcp" || (rec.ja4ssh === undefined && rec.ssh_extras === undefined)) continue;
        const s = streams.get(rec.stream);
        assert.ok(s, `${name}: tshark has no tcp stream ${rec.stream}`);
        const a = analyse(s, rec.src, rec.src_port);
        check("ja4ssh", rec.stream, rec.ja4ssh ?? [], a.ja4ssh);
        const extras = sshExtras({
          clientBanner: a.client.banner,
          serverBanner: a.server.banner,
          clientKexinit: a.client.kexinit,
          serverKexinit: a.server.kexinit,
          serverKexinitFirst: a.serverKexinitFirst,
        });
        check("ssh_extras", rec.stream, rec.ssh_extras ?? null, extras ?? null);
        // HASSH and HASSH-server strings against the tshark oracle.
        const packets =
          oracle.streams.find((t) => t.transport === "tcp" && t.stream === rec.stream)?.packets ?? [];
        const c = packets.find((p) => p["ssh.kex.hassh"] !== undefined);
        const sv = packets.find((p) => p["ssh.kex.hasshserver"] !== undefined);
        const gotC = a.client.kexinit ? hassh(a.client.kexinit) : undefined;
        const gotS = a.server.kexinit ? hasshServer(a.server.kexinit) : undefined;
        check("hassh", rec.stream, c?.["ssh.kex.hassh"], gotC?.hassh);
        check("hassh_algorithms", rec.stream, c?.["ssh.kex.hassh_algorithms"], gotC?.hassh_algorithms);
        check("hassh_server", rec.stream, sv?.["ssh.kex.hasshserver"], gotS?.hassh_server);
        check(
          "hassh_server_algorithms",
          rec.stream,
          sv?.["ssh.kex.hasshserver_algorithms"],
          gotS?.hassh_server_algorithms,
        );
      }
      assert.deepEqual(mismatches, []);
    });
  }

  test("summary", () => {
    for (const [kind, [ok, total]] of tally)
      process.stdout.write(`# ssh conformance ${kind}: ${ok}/${total}\n`);
    assert.ok(tally.size > 0);
  });
});
