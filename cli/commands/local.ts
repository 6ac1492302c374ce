import type { Command } from 'commander';
import { CliError, USAGE } from '#cli/errors.ts';

export function registerLocal(program: Command): void {
  program
    .command('local')
    .description('run the whole WMS on this machine (emulated DynamoDB, SQS and S3; local pilots)')
    .option('-p, --port <port>', 'port of the HTTP API on 127.0.0.1', '8080')
    .option('-c, --config <file>', 'configuration document', process.env.MUON_CONFIG ?? 'config/muon.yaml')
    .option('--in-memory', 'keep DynamoDB in memory: jobs do not survive a restart (S3 data still does)')
    .action(async (options: { port: string; config: string; inMemory?: boolean }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) {
        throw new CliError(`--port must be a port number (0-65535), not "${options.port}".`, USAGE);
      }
      // Loaded on use: the pilot image ships the CLI without the embedded runtime's emulators.
      const { runLocal } = await import('#local/main.ts');
      process.exitCode = await runLocal({
        port,
        config: options.config,
        inMemory: options.inMemory ?? false,
      });
    });
}
