/**
 * The decoder walks a packet as a little state machine: every layer parser reads its
 * header, writes where the next layer starts into a reused {@link LayerCursor} and
 * returns a code naming that next layer. The decoder loops until a parser says DONE
 * (a TCP/UDP packet is in the output), SKIP or FAIL. Keeping the dispatch in one loop
 * keeps the layer modules free of import cycles and makes the nesting bound trivial.
 */

/** Malformed, truncated or not IP at all (counted by the parser). A UDP tunnel falls back to its outer packet. */
export const NEXT_FAIL = -1;
/** A well-formed IP packet that is not analysed (other IP protocol, fragment held for reassembly). */
export const NEXT_SKIP = -2;
/** The output holds a complete TCP or UDP header. */
export const NEXT_DONE = 0;
export const NEXT_ETHERNET = 1;
export const NEXT_IPV4 = 2;
export const NEXT_IPV6 = 3;
/** IPv4 or IPv6, decided by the version nibble (raw IP link types, GTP-U, ERSPAN III). */
export const NEXT_IP = 4;
export const NEXT_TCP = 5;
export const NEXT_UDP = 6;
export const NEXT_GRE = 7;
/** IPv4 fragment: cursor holds the fragment fields. */
export const NEXT_FRAG4 = 8;
/** IPv6 fragment: cursor holds the fragment fields. */
export const NEXT_FRAG6 = 9;
/** IP protocol 4 (IPv4 encapsulated in IP). */
export const NEXT_IPIP4 = 10;
/** IP protocol 41 (IPv6 encapsulated in IP). */
export const NEXT_IPIP6 = 11;

/** Scratch state handed from one layer parser to the next; one instance per decoder. */
export class LayerCursor {
  /** Where the next layer starts. */
  off = 0;
  /** End of the bytes available to the next layer (captured bytes, bounded by enclosing lengths). */
  end = 0;
  /** IP → transport: end of the IP payload according to the IP header (may exceed `end` when snapped). */
  declaredEnd = 0;
  /** Tunnel parsers: kind (TUNNEL_* in tunnel.ts) and identifier (VNI, GRE key, TEID, ...). */
  tunnelKind = 0;
  tunnelId = 0;
  /** Fragment parsers: fragment offset in bytes, more-fragments flag, identification. */
  fragOffset = 0;
  fragMore = false;
  fragId = 0;
  /** IPv6 fragments: offset of the fragment header and of the next-header byte that names it. */
  fragHeaderOff = 0;
  fragNextHeaderFieldOff = 0;
}
