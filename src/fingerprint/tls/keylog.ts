/**
 * NSS key log (SSLKEYLOGFILE format, as carried in pcapng Decryption Secrets Blocks):
 * `LABEL <client_random hex> <secret hex>` per line, `#` comments. Secrets are kept per
 * client random so a connection finds its own.
 *
 * Bound: at most MAX_KEYLOG_ENTRIES client randoms (later ones are ignored and counted),
 * each with at most the eight NSS labels below and secrets of at most 64 bytes (the largest
 * hash output); other lines are ignored and counted. About 60 MB at the very most.
 */
export const MAX_KEYLOG_ENTRIES = 100_000;
const MAX_SECRET_HEX = 128;
/** The labels of the NSS key log format (TLS 1.2 master secret, TLS 1.3 traffic secrets). */
const LABELS = new Set([
  "CLIENT_RANDOM",
  "CLIENT_EARLY_TRAFFIC_SECRET",
  "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
  "SERVER_HANDSHAKE_TRAFFIC_SECRET",
  "CLIENT_TRAFFIC_SECRET_0",
  "SERVER_TRAFFIC_SECRET_0",
  "EARLY_EXPORTER_SECRET",
  "EXPORTER_SECRET",
]);

export class TlsKeyLog {
  private readonly byRandom = new Map<string, Map<string, Buffer>>();
  ignored = 0;

  get size(): number {
    return this.byRandom.size;
  }

  /** Adds the lines of a key log text; malformed lines are counted and skipped. */
  addText(text: string): void {
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) continue;
      const parts = line.split(/\s+/);
      if (
        parts.length !== 3 ||
        !LABELS.has(parts[0]) ||
        parts[2].length > MAX_SECRET_HEX ||
        !/^[0-9a-fA-F]{64}$/.test(parts[1]) ||
        !/^(?:[0-9a-fA-F]{2})+$/.test(parts[2])
      ) {
        this.ignored++;
        continue;
      }
      const random = parts[1].toLowerCase();
      let entry = this.byRandom.get(random);
      if (entry === undefined) {
        if (this.byRandom.size >= MAX_KEYLOG_ENTRIES) {
          this.ignored++;
          continue;
        }
        entry = new Map();
        this.byRandom.set(random, entry);
      }
      entry.set(parts[0], Buffer.from(parts[2], "hex"));
    }
  }

  /** The secret of `label` (e.g. SERVER_HANDSHAKE_TRAFFIC_SECRET) for a ClientHello random. */
  secret(clientRandom: Buffer, label: string): Buffer | undefined {
    if (this.byRandom.size === 0) return undefined;
    return this.byRandom.get(clientRandom.toString("hex"))?.get(label);
  }
}
