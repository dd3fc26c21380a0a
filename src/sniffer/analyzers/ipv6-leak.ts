import type { Flow } from "../../flow/flow.js";
import { type AnalyzerContext, endpointFields } from "../flow-state.js";
import { SEVERITY_INFO } from "../observation.js";

/** fe80::/10 — the first 10 bits of the first 16-bit word of the flow key. */
function isLinkLocal(word0: number): boolean {
  return word0 >>> 22 === 0x3fa;
}

/**
 * ipv6_link_local_leak: an fe80::/10 address talks to a decky (or a decky answers one).
 * The interface identifier tells what leaked: EUI-64 (ff:fe in the middle) carries the
 * machine's MAC address and its vendor OUI; anything else is random (privacy or stable
 * opaque identifiers, RFC 8981 / RFC 7217).
 */
export function checkLinkLocal(ctx: AnalyzerContext, flow: Flow): void {
  if (flow.ipVersion !== 6) return;
  const lowLL = isLinkLocal(flow.a0);
  const highLL = isLinkLocal(flow.b0);
  if (!lowLL && !highLL) return;
  // Report the attacker side when it is link-local, else the decky side.
  const clientLow = flow.clientIsLow;
  const clientLL = clientLow ? lowLL : highLL;
  const useLow = clientLL ? clientLow : !clientLow;
  const w2 = useLow ? flow.a2 : flow.b2;
  const w3 = useLow ? flow.a3 : flow.b3;
  const fields: Record<string, string> = {
    ...endpointFields(flow),
    link_local_ip: useLow ? flow.addressText(0) : flow.addressText(1),
    side: clientLL ? "attacker" : "decky",
  };
  // Interface identifier = words 2..3: bytes 8..15. EUI-64 has ff:fe at bytes 11..12.
  if ((w2 & 0xff) === 0xff && w3 >>> 24 === 0xfe) {
    const b = [
      w2 >>> 24,
      (w2 >>> 16) & 0xff,
      (w2 >>> 8) & 0xff,
      (w3 >>> 16) & 0xff,
      (w3 >>> 8) & 0xff,
      w3 & 0xff,
    ];
    b[0] ^= 0x02; // the universal/local bit is inverted in modified EUI-64
    const hex = b.map((x) => x.toString(16).padStart(2, "0"));
    fields.interface_id_kind = "eui64";
    fields.mac = hex.join(":");
    fields.oui = hex.slice(0, 3).join(":");
  } else {
    fields.interface_id_kind = "random";
  }
  flow.linkLocalLeak = fields.mac === undefined ? "random" : `eui64 ${fields.mac}`;
  ctx.emit(flow, "ipv6_link_local_leak", SEVERITY_INFO, fields);
}
