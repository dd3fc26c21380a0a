import { md5Hex } from "../digest.js";
import type { Kexinit } from "./kexinit.js";

/** HASSH of an SSH client (salesforce/hassh; tshark `ssh.kex.hassh`). */
export interface Hassh {
  /** MD5 (lowercase hex) of `hassh_algorithms`. */
  hassh: string;
  /** kex_algorithms;encryption_c2s;mac_c2s;compression_c2s */
  hassh_algorithms: string;
}

/** HASSH-server of an SSH server (tshark `ssh.kex.hasshserver`). */
export interface HasshServer {
  /** MD5 (lowercase hex) of `hassh_server_algorithms`. */
  hassh_server: string;
  /** kex_algorithms;encryption_s2c;mac_s2c;compression_s2c */
  hassh_server_algorithms: string;
}

/**
 * tshark joins the lists with printf("%s"), so a NUL inside a list ends it there; doing
 * the same keeps hostile KEXINITs hashing like the reference (and its strings, which
 * the reference JA4+ tool reads, end there too).
 */
export function cString(s: string): string {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
}

const md5 = md5Hex;

/** Client fingerprint: the client's own KEXINIT, client-to-server lists. */
export function hassh(kex: Kexinit): Hassh {
  const algorithms = [kex.kexAlgorithms, kex.encryptionC2S, kex.macC2S, kex.compressionC2S]
    .map(cString)
    .join(";");
  return { hassh: md5(algorithms), hassh_algorithms: algorithms };
}

/** Server fingerprint: the server's own KEXINIT, server-to-client lists. */
export function hasshServer(kex: Kexinit): HasshServer {
  const algorithms = [kex.kexAlgorithms, kex.encryptionS2C, kex.macS2C, kex.compressionS2C]
    .map(cString)
    .join(";");
  return { hassh_server: md5(algorithms), hassh_server_algorithms: algorithms };
}
