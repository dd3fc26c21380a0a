/**
 * tshark as an independent oracle for the decoder: the innermost IP addresses and
 * TCP/UDP ports of every frame of a capture, as Wireshark 4.0 dissects it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let available: boolean | undefined;
/** Skip option for node:test when tshark is not installed. */
export function skipWithoutTshark(): string | false {
  if (available === undefined) {
    const r = spawnSync("tshark", ["-v"], { encoding: "utf8" });
    available = r.status === 0;
    if (!available) process.stderr.write("NOTICE: tshark not found; tshark comparisons are skipped\n");
  }
  return available ? false : "tshark not installed";
}

export interface TsharkFrame {
  frame: number;
  protocols: string;
  /** Innermost flow when tshark's innermost IP layer carries TCP or UDP, else undefined. */
  flow: { transport: "tcp" | "udp"; src: string; dst: string; sport: number; dport: number } | undefined;
}

const last = (list: string): string => {
  const parts = list.split(",");
  return parts[parts.length - 1];
};

/** Runs tshark on `path` (empty profile, no name resolution) and returns one entry per frame. */
export function tsharkInnermost(path: string): TsharkFrame[] {
  const fields = [
    "frame.number",
    "frame.protocols",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "tcp.srcport",
    "tcp.dstport",
    "udp.srcport",
    "udp.dstport",
  ];
  const args = [
    "-n",
    "-r",
    path,
    "-T",
    "fields",
    "-E",
    "occurrence=a",
    "-E",
    "aggregator=,",
    "-E",
    "separator=/t",
  ];
  for (const f of fields) args.push("-e", f);
  const env = { ...process.env, WIRESHARK_CONFIG_DIR: mkdtempSync(join(tmpdir(), "ws-profile-")) };
  const r = spawnSync("tshark", args, { encoding: "utf8", env, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tshark failed on ${path}: ${r.stderr}`);
  const out: TsharkFrame[] = [];
  for (const line of r.stdout.split("\n")) {
    if (line === "") continue;
    const [num, protocols, ipSrc, ipDst, ip6Src, ip6Dst, tcpS, tcpD, udpS, udpD] = line.split("\t");
    const layers = protocols.split(":");
    const lastIp = Math.max(layers.lastIndexOf("ip"), layers.lastIndexOf("ipv6"));
    const lastTcp = layers.lastIndexOf("tcp");
    const lastUdp = layers.lastIndexOf("udp");
    const lastL4 = Math.max(lastTcp, lastUdp);
    const icmpInside = layers.some((l, i) => (l === "icmp" || l === "icmpv6") && i < lastIp);
    let flow: TsharkFrame["flow"];
    if (lastIp >= 0 && lastL4 > lastIp && !icmpInside) {
      const v6 = layers[lastIp] === "ipv6";
      const tcp = lastTcp > lastUdp;
      flow = {
        transport: tcp ? "tcp" : "udp",
        src: last(v6 ? ip6Src : ipSrc),
        dst: last(v6 ? ip6Dst : ipDst),
        sport: Number(last(tcp ? tcpS : udpS)),
        dport: Number(last(tcp ? tcpD : udpD)),
      };
    }
    out.push({ frame: Number(num), protocols, flow });
  }
  return out;
}
