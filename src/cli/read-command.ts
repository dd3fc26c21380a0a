import type { Command } from "commander";

/** `decnet-sensor read` — placeholder, filled in with the engine. */
export function registerReadCommand(program: Command): void {
  program.command("read <file>").description("read a pcap/pcapng capture (or - for stdin) and print fingerprints");
}
