import type { Command } from "commander";

/** `decnet-sensor bus ...` — placeholder until the bus lands (issue 2). */
export function registerBusCommand(program: Command): void {
  program.command("bus").description("pub/sub bus tools (not yet available)");
}
