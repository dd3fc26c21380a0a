import { readFileSync } from "node:fs";
import { isIPv4, isIPv6 } from "node:net";
import { formatAddress } from "../decode/address.js";

/**
 * Decky address → name. IPv4 lookups use the address as a number (int32, as the flow keys
 * hold it) so the per-packet filter allocates nothing; IPv6 lookups format the address,
 * and only when IPv6 deckies exist.
 */
export class DeckyMap {
  private readonly v4 = new Map<number, string>();
  private readonly v6 = new Map<string, string>();

  get size(): number {
    return this.v4.size + this.v6.size;
  }

  add(ip: string, name: string): void {
    if (isIPv4(ip)) this.v4.set(ipv4ToNumber(ip), name);
    else if (isIPv6(ip)) this.v6.set(normalizeIPv6(ip), name);
    else throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
  }

  lookup4(addr: number): string | undefined {
    return this.v4.get(addr);
  }

  /** The decky at the 16-byte IPv6 address `buf[off, off + 16)`. */
  lookup6(buf: Uint8Array, off: number): string | undefined {
    return this.v6.size === 0 ? undefined : this.v6.get(formatAddress(buf, off, 6));
  }

  /** Adds `--decky IP=NAME` values. */
  addPairs(pairs: readonly string[]): void {
    for (const p of pairs) {
      const eq = p.indexOf("=");
      if (eq <= 0 || eq === p.length - 1)
        throw new Error(`--decky expects IP=NAME, got ${JSON.stringify(p)}`);
      this.add(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
    }
  }

  /** DECNET's decnet-state.json: {"config": {"deckies": [{"name", "ip", ...}]}}. */
  static fromStateFile(path: string): DeckyMap {
    const doc: unknown = JSON.parse(readFileSync(path, "utf8"));
    const deckies = (doc as { config?: { deckies?: unknown } })?.config?.deckies;
    if (!Array.isArray(deckies)) throw new Error(`${path}: no config.deckies list`);
    const m = new DeckyMap();
    for (const d of deckies) {
      const ip = (d as { ip?: unknown }).ip;
      const name = (d as { name?: unknown }).name;
      if (typeof ip === "string" && typeof name === "string") m.add(ip, name);
    }
    return m;
  }
}

export function ipv4ToNumber(ip: string): number {
  const p = ip.split(".");
  return (+p[0] << 24) | (+p[1] << 16) | (+p[2] << 8) | +p[3];
}

/** RFC 5952 text of an IPv6 address given in any valid form. */
export function normalizeIPv6(ip: string): string {
  // URL parsing canonicalises IPv6 literals (lowercase, longest zero run compressed).
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}
