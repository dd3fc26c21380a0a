import { createHash } from "node:crypto";

/**
 * Suppresses repeated observations: (attacker ip, event type, type-specific key)
 * seen within `ttlUs` of packet time is dropped (DESIGN §5 dedup keys).
 *
 * Bound: at most `maxEntries` keys of at most about 300 characters each (longer key parts
 * are digested); the oldest insertion is forgotten first (a forgotten key only means one
 * more event is written, never lost data).
 */

/** Longest type-specific key part kept as text; longer ones are kept as a SHA-256 digest. */
const MAX_KEY_PART = 256;

export function dedupKeyFor(eventType: string, f: Record<string, string>): string {
  switch (eventType) {
    case "tls_client_hello":
      return `${f.ja3 ?? ""}|${f.ja4 ?? ""}`;
    case "tls_session":
      return `${f.ja3 ?? ""}|${f.ja3s ?? ""}|${f.ja4 ?? ""}|${f.ja4s ?? ""}`;
    case "tls_certificate":
      return `${f.subject_cn ?? ""}|${f.issuer ?? ""}`;
    case "tcp_syn_fingerprint":
      return `${f.os_guess ?? ""}|${f.options_sig ?? ""}|${f.ipid_class ?? ""}|${f.isn_class ?? ""}`;
    case "tcp_flow_timing":
      return `${f.dst_ip ?? ""}|${f.dst_port ?? ""}`;
    case "ssh_fingerprint":
      return `${f.hassh ?? ""}|${f.hassh_server ?? ""}`;
    case "http_request_fingerprint":
      return f.ja4h ?? "";
    case "ipv6_link_local_leak":
      return f.link_local_ip ?? "";
    case "ssh_client_banner":
      return f.ssh_version ?? "";
    case "http2_fingerprint":
      return f.akamai ?? "";
    case "quic_client_hello":
      // DECNET: fields.get("src_ip", "") + "|" + fields.get("ja4_quic", "")
      return `${f.src_ip ?? ""}|${f.ja4_quic ?? ""}`;
    default:
      return f.resumption ?? "";
  }
}

export class Dedup {
  private readonly seen = new Map<string, number>();
  /** Characters held in keys (what the bound is about). */
  private chars = 0;

  constructor(
    /** Window in µs of packet time; 0 disables dedup. */
    private readonly ttlUs: number,
    private readonly maxEntries = 100_000,
  ) {}

  /** True when the event should be dropped as a duplicate. Records it otherwise. */
  isDuplicate(tsUs: number, eventType: string, fields: Record<string, string>): boolean {
    if (this.ttlUs <= 0) return false;
    let part = dedupKeyFor(eventType, fields);
    // Keys hold attacker-chosen text (an SNI, a certificate name): a long one is kept as
    // its digest, so the table's memory is bounded by entries, not by what attackers send.
    if (part.length > MAX_KEY_PART) part = `#${createHash("sha256").update(part).digest("base64")}`;
    const key = `${fields.src_ip ?? ""}\u0000${eventType}\u0000${part}`;
    const last = this.seen.get(key);
    if (last !== undefined && tsUs - last < this.ttlUs) return true;
    if (last !== undefined)
      this.seen.delete(key); // re-insert to keep insertion order = age
    else {
      if (this.seen.size >= this.maxEntries) {
        const oldest = this.seen.keys().next();
        if (!oldest.done) {
          this.seen.delete(oldest.value);
          this.chars -= oldest.value.length;
        }
      }
      this.chars += key.length;
    }
    this.seen.set(key, tsUs);
    return false;
  }

  get size(): number {
    return this.seen.size;
  }

  /** Characters held in the keys. */
  get keyChars(): number {
    return this.chars;
  }
}
