import { readFileSync } from "node:fs";
import { formatAddress, parseAddress } from "../decode/address.js";

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
    const bytes = parseAddress(ip);
    if (bytes === undefined) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
    // Keys made by the same readers the per-packet lookups use.
    if (bytes.length === 4) this.v4.set(Buffer.from(bytes).readInt32BE(0), name);
    else this.v6.set(formatAddress(bytes, 0, 6), name);
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
