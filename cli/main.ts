/** The `muon` command line. */
import { Command, CommanderError } from 'commander';
import { registerConfig } from '#cli/commands/config.ts';
import { registerCwlRunner } from '#cli/commands/cwl-runner.ts';
import { registerData } from '#cli/commands/data.ts';
import { registerJob } from '#cli/commands/job.ts';
import { registerLocal } from '#cli/commands/local.ts';
import { registerPilot } from '#cli/commands/pilot.ts';
import { registerProduction } from '#cli/commands/production.ts';
import { registerSiteDirector } from '#cli/commands/site-director.ts';
import { registerTransformation } from '#cli/commands/transformation.ts';
import { CliError } from '#cli/errors.ts';
import { MuonError } from '#shared/errors.ts';
import { version } from '#shared/version.ts';

export function buildProgram(): Command {
  const program = new Command('muon')
    .description('muon: a serverless, pull-based workload management system')
    .version(version, '-V, --version')
    .exitOverride()
    .showHelpAfterError()
    .option('--api-url <url>', 'the muon API (default: MUON_API_URL, then $MUON_HOME/local.json)')
    .option('--token <token>', 'bearer token (default: MUON_TOKEN, then the local user token)');
  program
    .command('version')
    .description('print the version')
    .action(() => console.log(version));
  registerLocal(program);
  registerConfig(program);
  registerJob(program);
  registerPilot(program);
  registerSiteDirector(program);
  registerData(program);
  registerCwlRunner(program);
  registerTransformation(program);
  registerProduction(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError) {
      console.error(`muon: ${error.message}`);
      return error.exitCode;
    }
    if (error instanceof MuonError) {
      console.error(`muon: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
