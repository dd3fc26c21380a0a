/**
 * Link-layer header types (the LINKTYPE_* values written in pcap and pcapng files, see
 * tcpdump.org/linktypes.html) that the decoder understands.
 */
export const LINKTYPE_NULL = 0; // BSD loopback: 4-byte address family in host byte order
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101; // raw IPv4 or IPv6, version nibble decides
export const LINKTYPE_LOOP = 108; // OpenBSD loopback: address family in network byte order
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/**
 * DLT_RAW is a platform-dependent DLT value (12 on most systems, 14 on OpenBSD and
 * BSD/OS) that old writers put into files instead of LINKTYPE_RAW. libpcap and Wireshark
 * read both as raw IP (12 is DLT_LOOP only on OpenBSD itself, which nobody else can know).
 */
export const DLT_RAW_12 = 12;
export const DLT_RAW_14 = 14;

/**
 * Maps a link type read from a file to the value the decoder sees: the DLT_RAW aliases
 * become LINKTYPE_RAW, everything else is returned unchanged.
 */
export function canonicalLinktype(linktype: number): number {
  return linktype === DLT_RAW_12 || linktype === DLT_RAW_14 ? LINKTYPE_RAW : linktype;
}
