/**
 * `muon data ...`: files on storage elements, by their logical file names (DIRAC's dirac-dms-*
 * commands): list an LFN directory, download a file. Usage errors exit with 2, API errors with 1.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { flagOptions, resolveClient } from '#cli/client.ts';
import { downloadData, listData } from '#cli/data.ts';
import { CliError, USAGE, usageErrors } from '#cli/errors.ts';
import { formatTable, tableOptionsFor, toJson } from '#cli/format.ts';
import { baseName, lfnProblem } from '#shared/data/lfn.ts';

const connect = (command: Command) => resolveClient(flagOptions(command));
const out = process.stdout;

/** `LFN:/vo/...` is accepted as DIRAC's tools accept it. */
function lfnArgument(text: string): string {
  const lfn = text.replace(/^lfn:/i, '');
  const problem = lfnProblem(lfn);
  if (problem) throw new CliError(`"${text}" is not an LFN: ${problem}.`, USAGE);
  return lfn;
}

export function registerData(program: Command): void {
  const data = program
    .command('data')
    .description('files on storage elements, by logical file name (LFN)')
    .exitOverride(usageErrors);

  data
    .command('ls')
    .description('the files in an LFN directory (your own, or any for an administrator)')
    .argument('<directory>', 'e.g. /vo.example.org/user/a/alice/17')
    .option('--json', 'print the files as JSON')
    .action(async (directory: string, options: { json?: boolean }, command: Command) => {
      const files = await listData(connect(command), directory.replace(/^lfn:/i, ''));
      if (options.json) out.write(`${toJson(files)}\n`);
      else if (files.length === 0) out.write(`No files in ${directory}.\n`);
      else {
        const rows = files.map((file) => [file.LFN, file.SE, file.Size]);
        out.write(`${formatTable(['LFN', 'SE', 'Size'], rows, tableOptionsFor(out))}\n`);
      }
    });

  data
    .command('get')
    .description('download a file by its LFN')
    .argument('<lfn>', 'e.g. /vo.example.org/user/a/alice/17/out.txt')
    .option('--dest <path>', 'the file to write, or a directory to write it into (default: ./<name>)')
    .option('--se <name>', 'download the replica on this storage element')
    .action(async (text: string, options: { dest?: string; se?: string }, command: Command) => {
      const lfn = lfnArgument(text);
      let destination = resolve(options.dest ?? baseName(lfn));
      if (existsSync(destination) && statSync(destination).isDirectory()) {
        destination = join(destination, baseName(lfn));
      }
      await downloadData(connect(command), lfn, destination, options.se);
      out.write(`${destination}\n`);
    });
}
