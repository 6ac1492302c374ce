/** The CliError a CLI step throws, for tests that read its message and exit code. */
import { CliError } from '#cli/errors.ts';

export function cliErrorOf(run: () => unknown): CliError {
  try {
    run();
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('expected a CliError');
}
