import { cString, hassh, hasshServer } from "./hassh.js";
import type { Kexinit } from "./kexinit.js";

/**
 * The `ssh_extras` record of the reference JA4+ tool (field names as it prints them).
 * A value is null where the connection did not show it.
 */
export interface SshExtras {
  hassh: string | null;
  hassh_server: string | null;
  /** Client identification line without CR LF. */
  ssh_protocol_client: string | null;
  /** Server identification line without CR LF. */
  ssh_protocol_server: string | null;
  /** The negotiated cipher as the reference picks it (see selectEncryptionAlgorithm). */
  encryption_algorithm: string | null;
}

export interface SshExtrasInput {
  clientBanner?: string;
  serverBanner?: string;
  clientKexinit?: Kexinit;
  serverKexinit?: Kexinit;
  /**
   * True when the server's KEXINIT was complete before the client's. The reference only
   * picks a cipher when it meets the client's KEXINIT first, so this yields a null
   * `encryption_algorithm`.
   */
  serverKexinitFirst?: boolean;
}

/**
 * The reference's cipher choice: the first name of the SERVER's
 * encryption_algorithms_server_to_client list that appears in the CLIENT's
 * encryption_algorithms_client_to_server list, each cut at a NUL as tshark shows them.
 * (RFC 4253 §7.1 negotiates each direction from the client's list instead; the
 * reference's pairing is kept for compatibility.)
 */
export function selectEncryptionAlgorithm(client: Kexinit, server: Kexinit): string | undefined {
  const clientAlgs = new Set(cString(client.encryptionC2S).split(","));
  for (const name of cString(server.encryptionS2C).split(",")) if (clientAlgs.has(name)) return name;
  return undefined;
}

/** Builds `ssh_extras`; undefined when every value would be null (as the reference omits it). */
export function sshExtras(input: SshExtrasInput): SshExtras | undefined {
  const { clientBanner, serverBanner, clientKexinit, serverKexinit } = input;
  let encryption: string | null = null;
  if (clientKexinit !== undefined && serverKexinit !== undefined && input.serverKexinitFirst !== true) {
    encryption = selectEncryptionAlgorithm(clientKexinit, serverKexinit) ?? null;
  }
  const out: SshExtras = {
    hassh: clientKexinit !== undefined ? hassh(clientKexinit).hassh : null,
    hassh_server: serverKexinit !== undefined ? hasshServer(serverKexinit).hassh_server : null,
    ssh_protocol_client: clientBanner ?? null,
    ssh_protocol_server: serverBanner ?? null,
    encryption_algorithm: encryption,
  };
  if (
    out.hassh === null &&
    out.hassh_server === null &&
    out.ssh_protocol_client === null &&
    out.ssh_protocol_server === null &&
    out.encryption_algorithm === null
  ) {
    return undefined;
  }
  return out;
}
