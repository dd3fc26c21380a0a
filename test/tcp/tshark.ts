/**
 * tshark as an independent oracle for the JA4T option list: the FoxIO reference tool builds
 * JA4T from tshark's `tcp.option_kind`, `tcp.options.mss_val` and `tcp.options.wscale.shift`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writePcap } from "./helpers.js";

let available: boolean | undefined;

/** Skip option for node:test when tshark is not installed. */
export function skipWithoutTshark(): string | false {
  if (available === undefined) {
    available = spawnSync("tshark", ["-v"], { encoding: "utf8" }).status === 0;
    if (!available) process.stderr.write("NOTICE: tshark not found; tshark comparisons are skipped\n");
  }
  return available ? false : "tshark not installed";
}

export interface TsharkTcpOptions {
  srcPort: number;
  /** Option kinds in tshark's order. */
  kinds: number[];
  /** All MSS values tshark decoded, in order. */
  mss: number[];
  /** All window-scale shifts tshark decoded, in order. */
  wscale: number[];
}

/** Writes the frames to a temporary Ethernet pcap and returns tshark's option fields per frame. */
export function tsharkTcpOptions(frames: { tsUs: number; data: Buffer }[]): TsharkTcpOptions[] {
  const dir = mkdtempSync(join(tmpdir(), "tshark-tcpopt-"));
  try {
    const path = join(dir, "opts.pcap");
    writeFileSync(path, writePcap(frames));
    const fields = ["tcp.srcport", "tcp.option_kind", "tcp.options.mss_val", "tcp.options.wscale.shift"];
    const r = spawnSync(
      "tshark",
      ["-n", "-r", path, "-T", "fields", "-E", "separator=|", ...fields.flatMap((f) => ["-e", f])],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, WIRESHARK_CONFIG_DIR: dir } },
    );
    if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
    const nums = (s: string) => (s === "" ? [] : s.split(",").map(Number));
    return r.stdout
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => {
        const [sp, kinds, mss, ws] = l.split("|");
        return { srcPort: Number(sp), kinds: nums(kinds), mss: nums(mss), wscale: nums(ws) };
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
