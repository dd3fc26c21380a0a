/**
 * SSH fingerprints: HASSH / HASSH-server (salesforce/hassh), JA4SSH and the `ssh_extras`
 * of the reference JA4+ tool. Pure code over stream bytes and packet metadata.
 *
 * Use per TCP connection (client = the side that opened it, never chosen by port):
 *
 *   const client = new SshStreamReader(), server = new SshStreamReader();
 *   const segments = new Ja4SshSegmentClassifier(), window = new Ja4SshWindow();
 *   for each TCP packet, in capture order, from the handshake on:
 *     fresh = the payload bytes of this segment not seen before in its direction
 *             (retransmitted bytes dropped; a pure retransmission has none)
 *     isSsh = fresh.length > 0 && segments.classify(fromClient, buf, freshOff, freshLen)
 *     (fromClient ? client : server).push(buf, freshOff, freshLen)   // until .finished
 *     fp = window.addPacket(fromClient, tcpPayloadLen, tcpFlags === 0x010, isSsh)
 *     if (fp) emit it                                                // every 200 SSH packets
 *   at the end: window.flush() (the partial window), and
 *     sshExtras({ clientBanner: client.banner, serverBanner: server.banner,
 *                 clientKexinit: client.kexinit, serverKexinit: server.kexinit,
 *                 serverKexinitFirst })   // did the server's KEXINIT complete first?
 *   hassh(client.kexinit) / hasshServer(server.kexinit) give the strings and MD5s.
 *
 * The reference only sees SSH on port 22 (tshark's default); this code sees it wherever
 * the bytes are SSH. Segments arriving out of order should be fed once they are in order.
 */
export { type Hassh, type HasshServer, hassh, hasshServer } from "./hassh.js";
export { JA4SSH_WINDOW, Ja4SshWindow } from "./ja4ssh.js";
export { Ja4SshSegmentClassifier } from "./ja4ssh-segments.js";
export { type Kexinit, parseKexinit, SSH_MSG_KEXINIT } from "./kexinit.js";
export { type SshExtras, type SshExtrasInput, selectEncryptionAlgorithm, sshExtras } from "./ssh-extras.js";
export { type SshReaderState, SshStreamReader } from "./ssh-stream.js";
export { sshStats } from "./stats.js";
