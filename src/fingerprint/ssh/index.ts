/**
 * SSH fingerprints: HASSH / HASSH-server (salesforce/hassh), JA4SSH and the `ssh_extras`
 * of the reference JA4+ tool. Pure code over stream bytes and packet metadata.
 *
 * Use per TCP connection (client = the side that opened it, never chosen by port):
 *
 *   const client = new SshStreamReader(), server = new SshStreamReader();
 *   const segments = new Ja4SshSegmentClassifier(), window = new Ja4SshWindow();
 *   each direction's reassembled stream, in order (retransmits and reordering undone):
 *     (fromClient ? client : server).push(buf, off, len)   // until .finished; .gap() on a hole
 *   for each TCP packet, in capture order, from the handshake on:
 *     fresh = the payload bytes of this segment not seen before in its direction
 *             (retransmitted bytes dropped; a pure retransmission has none)
 *     isSsh = fresh.length > 0 && segments.classify(fromClient, buf, freshOff, freshLen)
 *     fp = window.addPacket(fromClient, tcpPayloadLen, tcpFlags === 0x010, isSsh)
 *     if (fp) emit it                                                // every 200 SSH packets
 *   at the end: window.flush() (the partial window), and
 *     sshExtras({ clientBanner: client.banner, serverBanner: server.banner,
 *                 clientKexinit: client.kexinit, serverKexinit: server.kexinit,
 *                 serverKexinitFirst })   // did the server's KEXINIT complete first?
 *   hassh(client.kexinit) / hasshServer(server.kexinit) give the strings and MD5s.
 *
 * The reference only sees SSH on port 22 (tshark's default); this code sees it wherever
 * the bytes are SSH. The classifier follows tshark's per-frame view (capture order); the
 * readers need the bytes in stream order.
 */
export { type Hassh, type HasshServer, hassh, hasshServer } from "./hassh.js";
export { JA4SSH_WINDOW, Ja4SshWindow } from "./ja4ssh.js";
export { Ja4SshSegmentClassifier } from "./ja4ssh-segments.js";
export { type Kexinit, parseKexinit, SSH_MSG_KEXINIT } from "./kexinit.js";
export { type SshExtras, type SshExtrasInput, selectEncryptionAlgorithm, sshExtras } from "./ssh-extras.js";
export { type SshReaderState, SshStreamReader, sshDashByte, startsSshDash } from "./ssh-stream.js";
export { sshStats } from "./stats.js";
