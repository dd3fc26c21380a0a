import { Command } from "commander";
import { registerBusCommand } from "./bus-command.js";
import { registerReadCommand } from "./read-command.js";

/** Builds the `decnet-sensor` program; each subcommand lives in its own file. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name("decnet-sensor")
    .description("Passive and active fingerprinting sensor for DECNET honeypot fleets")
    .version("0.1.0");
  registerReadCommand(program);
  registerBusCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `decnet-sensor read x | head` closes our stdout early: that is a normal end, not a crash.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  await buildProgram().parseAsync(argv);
}
