/**
 * `muon config validate | push | show`: the configuration document (DIRAC's Configuration
 * Service; DiracX's `GET /api/config`). `push` validates locally first and sends nothing when the
 * document is invalid; the API validates again and changes nothing when it refuses. `show` prints
 * the document the API runs with now.
 */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { flagOptions, resolveClient } from '#cli/client.ts';
import { CliError } from '#cli/errors.ts';
import { formatIssues, readConfigFile } from '#shared/config/load.ts';

const defaultFile = () => process.env.MUON_CONFIG ?? 'config/muon.yaml';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('the configuration document');
  config
    .command('validate')
    .description('check a configuration document and report every error with its path')
    .argument('[file]', 'the YAML document', defaultFile())
    .action((file: string) => {
      const result = readConfigFile(file);
      if (!result.ok) {
        throw new CliError(`${file} has ${result.issues.length} error(s):\n${formatIssues(result.issues)}`);
      }
      const vos = Object.keys(result.config.virtualOrganizations);
      const sites = Object.keys(result.config.sites);
      console.log(`${file} is valid: ${vos.length} virtual organisation(s), ${sites.length} site(s).`);
    });
  config
    .command('push')
    .description('make a document the live configuration (CSAdministrator); validated first')
    .argument('[file]', 'the YAML document', defaultFile())
    .action(async (file: string, _options: unknown, command: Command) => {
      const result = readConfigFile(file);
      if (!result.ok) {
        throw new CliError(
          `${file} has ${result.issues.length} error(s); nothing was pushed:\n${formatIssues(result.issues)}`,
        );
      }
      const client = resolveClient(flagOptions(command));
      await client.request('PUT', '/api/config', result.config);
      console.log(`${file} is now the live configuration of ${client.apiUrl}.`);
    });
  config
    .command('show')
    .description('print the configuration the API runs with now')
    .option('--json', 'as JSON rather than YAML')
    .action(async (options: { json?: boolean }, command: Command) => {
      const client = resolveClient(flagOptions(command));
      const { body } = await client.request('GET', '/api/config');
      process.stdout.write(options.json ? `${JSON.stringify(body, null, 2)}\n` : stringify(body));
    });
}
