/** The `muon` command line. */
import { Command, CommanderError } from 'commander';
import { CliError, usageErrors } from '#cli/errors.ts';
import { MuonError } from '#shared/errors.ts';
import { version } from '#shared/version.ts';

type Register = (program: Command) => void;

/**
 * Each top-level command's module, loaded only when needed: `muon cwl-runner` (run once per CWL
 * conformance test) or a pilot should not pay for loading the site director, the local runtime and
 * the rest (about half of the CLI's start-up). `version` (and `-V`) loads none; help, completion
 * and unknown words load them all.
 */
const commands: Readonly<Record<string, () => Promise<Register>>> = {
  local: async () => (await import('#cli/commands/local.ts')).registerLocal,
  config: async () => (await import('#cli/commands/config.ts')).registerConfig,
  login: async () => (await import('#cli/commands/login.ts')).registerLogin,
  logout: async () => (await import('#cli/commands/login.ts')).registerLogin,
  whoami: async () => (await import('#cli/commands/login.ts')).registerLogin,
  job: async () => (await import('#cli/commands/job.ts')).registerJob,
  pilot: async () => {
    const [{ registerPilot }, { registerPilotQueries }] = await Promise.all([
      import('#cli/commands/pilot.ts'),
      import('#cli/commands/pilot-query.ts'),
    ]);
    return (program) => {
      registerPilot(program);
      registerPilotQueries(program);
    };
  },
  'site-director': async () => (await import('#cli/commands/site-director.ts')).registerSiteDirector,
  data: async () => (await import('#cli/commands/data.ts')).registerData,
  'cwl-runner': async () => (await import('#cli/commands/cwl-runner.ts')).registerCwlRunner,
  transformation: async () => (await import('#cli/commands/transformation.ts')).registerTransformation,
  production: async () => (await import('#cli/commands/production.ts')).registerProduction,
  completion: async () => (await import('#cli/commands/completion.ts')).registerCompletion,
};

/** The program with every command, or with only the one `argv` names. */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('muon')
    .description('muon: a serverless, pull-based workload management system')
    .version(version, '-V, --version')
    // Every command's usage errors (an unknown command or option, a missing argument) exit with 2,
    // not Commander's 1: the commands created under the program inherit this.
    .exitOverride(usageErrors)
    .showHelpAfterError()
    .option('--api-url <url>', 'the muon API (default: MUON_API_URL, then $MUON_HOME/local.json)')
    .option('--token <token>', 'bearer token (default: MUON_TOKEN, then the local user token)');
  program
    .command('version')
    .description('print the version')
    .action(() => console.log(version));
  const wanted = argv === undefined ? Object.keys(commands) : commandsFor(argv);
  const registers = await Promise.all(wanted.map((name) => (commands[name] as () => Promise<Register>)()));
  // login, logout and whoami share one module: registered once.
  for (const register of new Set(registers)) register(program);
  return program;
}

/** The command modules `argv` needs: none for the version, its own, or all (help, a typo). */
function commandsFor(argv: readonly string[]): string[] {
  const named = commandName(argv);
  if (named === 'version') return [];
  // Completion describes every command, so it needs them all.
  if (named === 'completion') return Object.keys(commands);
  if (named === undefined)
    return argv.includes('-V') || argv.includes('--version') ? [] : Object.keys(commands);
  return named in commands ? [named] : Object.keys(commands);
}

/** The first word after `node muon` and the global options (`--api-url URL`, `--token=T`, ...). */
function commandName(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i += 1) {
    const word = argv[i] as string;
    if (word === '--api-url' || word === '--token') i += 1;
    else if (!word.startsWith('-')) return word;
  }
  return undefined;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = await buildProgram(argv);
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
