/**
 * Suppresses repeated observations: (attacker ip, event type, type-specific key)
 * seen within `ttlUs` of packet time is dropped (DESIGN §5 dedup keys).
 *
 * Bound: at most `maxEntries` keys; the oldest insertion is forgotten first (a
 * forgotten key only means one more event is written, never lost data).
 */

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
      return `${f.ja4 ?? ""}|${f.sni ?? ""}`;
    default:
      return f.resumption ?? "";
  }
}

export class Dedup {
  private readonly seen = new Map<string, number>();

  constructor(
    /** Window in µs of packet time; 0 disables dedup. */
    private readonly ttlUs: number,
    private readonly maxEntries = 100_000,
  ) {}

  /** True when the event should be dropped as a duplicate. Records it otherwise. */
  isDuplicate(tsUs: number, eventType: string, fields: Record<string, string>): boolean {
    if (this.ttlUs <= 0) return false;
    const key = `${fields.src_ip ?? ""}\u0000${eventType}\u0000${dedupKeyFor(eventType, fields)}`;
    const last = this.seen.get(key);
    if (last !== undefined && tsUs - last < this.ttlUs) return true;
    if (last !== undefined)
      this.seen.delete(key); // re-insert to keep insertion order = age
    else if (this.seen.size >= this.maxEntries) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    this.seen.set(key, tsUs);
    return false;
  }

  get size(): number {
    return this.seen.size;
  }
}
