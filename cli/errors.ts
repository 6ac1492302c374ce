import { CommanderError } from 'commander';

/** Exit code of a command that cannot be carried out as written (bad arguments, unreadable files). */
export const USAGE = 2;

/** A CLI failure: printed as its message alone, with a non-zero exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A command group's `exitOverride`: Commander's own usage errors (unknown option, missing argument) exit with 2, as ours do. */
export function usageErrors(error: CommanderError): never {
  throw error.exitCode === 0 ? error : new CommanderError(USAGE, error.code, error.message);
}
