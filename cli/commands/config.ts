import type { Command } from 'commander';
import { CliError } from '#cli/errors.ts';
import { formatIssues, readConfigFile } from '#shared/config/load.ts';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('the configuration document');
  config
    .command('validate')
    .description('check a configuration document and report every error with its path')
    .argument('[file]', 'the YAML document', process.env.MUON_CONFIG ?? 'config/muon.yaml')
    .action((file: string) => {
      const result = readConfigFile(file);
      if (!result.ok) {
        throw new CliError(`${file} has ${result.issues.length} error(s):\n${formatIssues(result.issues)}`);
      }
      const vos = Object.keys(result.config.virtualOrganizations);
      const sites = Object.keys(result.config.sites);
      console.log(`${file} is valid: ${vos.length} virtual organisation(s), ${sites.length} site(s).`);
    });
}
