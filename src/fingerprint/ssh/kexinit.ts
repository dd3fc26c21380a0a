import type { Counters } from "../../util/counters.js";
import { asciiText } from "../ascii-text.js";
import { sshStats } from "./stats.js";

/** RFC 4253 §12 message numbers used here. */
export const SSH_MSG_KEXINIT = 20;
export const SSH_MSG_NEWKEYS = 21;

/**
 * An SSH_MSG_KEXINIT (RFC 4253 §7.1). Each list is the name-list as sent: comma-separated
 * names in the sender's order of preference. Bytes outside US-ASCII (which RFC 4251 §5
 * forbids) become U+FFFD, as tshark's ASCII decoding does, so HASSH strings stay
 * comparable with `ssh.kex.hassh_algorithms`.
 */
export interface Kexinit {
  /** kex_algorithms */
  kexAlgorithms: string;
  /** server_host_key_algorithms */
  serverHostKeyAlgorithms: string;
  /** encryption_algorithms_client_to_server */
  encryptionC2S: string;
  /** encryption_algorithms_server_to_client */
  encryptionS2C: string;
  /** mac_algorithms_client_to_server */
  macC2S: string;
  /** mac_algorithms_server_to_client */
  macS2C: string;
  /** compression_algorithms_client_to_server */
  compressionC2S: string;
  /** compression_algorithms_server_to_client */
  compressionS2C: string;
  /** languages_client_to_server */
  languagesC2S: string;
  /** languages_server_to_client */
  languagesS2C: string;
  /** first_kex_packet_follows */
  firstKexPacketFollows: boolean;
}

/** Fixed part of a KEXINIT payload: message number + 16-byte cookie. */
const KEXINIT_HEAD = 17;
/** Ten uint32 list lengths + boolean + uint32 reserved: the smallest possible KEXINIT. */
const KEXINIT_MIN = KEXINIT_HEAD + 10 * 4 + 1 + 4;

/**
 * Parses a KEXINIT payload `buf[off, end)` that starts with the message number (20).
 * Returns undefined (and bumps a counter) when the payload is not a complete KEXINIT:
 * wrong message number, a name-list running past `end`, or the trailing boolean and
 * reserved word missing. Bytes after the reserved word are ignored (RFC 4253 allows
 * extensions to append nothing here, but some implementations pad). Never throws.
 */
export function parseKexinit(
  buf: Buffer,
  off: number,
  end: number,
  counters: Counters = sshStats,
): Kexinit | undefined {
  if (off < 0 || end > buf.length || end - off < KEXINIT_MIN || buf[off] !== SSH_MSG_KEXINIT) {
    counters.inc("ssh.kexinit_malformed");
    return undefined;
  }
  const lists: string[] = [];
  let p = off + KEXINIT_HEAD;
  for (let i = 0; i < 10; i++) {
    if (p + 4 > end) {
      counters.inc("ssh.kexinit_malformed");
      return undefined;
    }
    const len = buf.readUInt32BE(p);
    p += 4;
    if (len > end - p) {
      counters.inc("ssh.kexinit_malformed");
      return undefined;
    }
    lists.push(asciiText(buf, p, p + len)); // name-lists as tshark reads them (ENC_ASCII)
    p += len;
  }
  if (p + 5 > end) {
    counters.inc("ssh.kexinit_malformed");
    return undefined;
  }
  return {
    kexAlgorithms: lists[0],
    serverHostKeyAlgorithms: lists[1],
    encryptionC2S: lists[2],
    encryptionS2C: lists[3],
    macC2S: lists[4],
    macS2C: lists[5],
    compressionC2S: lists[6],
    compressionS2C: lists[7],
    languagesC2S: lists[8],
    languagesS2C: lists[9],
    firstKexPacketFollows: buf[p] !== 0,
  };
}
