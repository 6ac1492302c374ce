/**
 * `muon data ...`: files on storage elements, by their logical file names, and the file catalog's
 * metadata (DIRAC's dirac-dms-* commands and the DFC's `meta` and `find`): add, list, download,
 * replicas, remove; set and show metadata; find files by metadata. Usage errors exit with 2,
 * API errors with 1.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { flagOptions, resolveClient } from '#cli/client.ts';
import {
  addData,
  downloadData,
  findData,
  listData,
  removeData,
  replicasOf,
  setMetadata,
  showMetadata,
} from '#cli/data.ts';
import { CliError, USAGE, usageErrors } from '#cli/errors.ts';
import { formatRows, toJson } from '#cli/format.ts';
import {
  type MetaType,
  type MetaValue,
  metaKeyPattern,
  metaTypes,
  parseQuery,
} from '#shared/catalog/query.ts';
import { baseName, lfnProblem } from '#shared/data/lfn.ts';
import { MuonError } from '#shared/errors.ts';

const connect = (command: Command) => resolveClient(flagOptions(command));
const out = process.stdout;
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `LFN:/vo/...` is accepted as DIRAC's tools accept it. */
function lfnArgument(text: string): string {
  const lfn = text.replace(/^lfn:/i, '').replace(/(.)\/+$/, '$1');
  const problem = lfnProblem(lfn);
  if (problem) throw new CliError(`"${text}" is not an LFN: ${problem}.`, USAGE);
  return lfn;
}

/** `key=value` pairs; values read as numbers when they are numbers (quote with '...' to keep text). */
export function metadataArguments(pairs: readonly string[]): Record<string, MetaValue> {
  const meta: Record<string, MetaValue> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = at > 0 ? pair.slice(0, at) : '';
    const raw = pair.slice(at + 1);
    if (!metaKeyPattern.test(key) || raw === '') {
      throw new CliError(
        `"${pair}" is not key=value (a key is a letter, then letters, digits or "_").`,
        USAGE,
      );
    }
    const quoted = /^'(.*)'$/.exec(raw);
    meta[key] = quoted
      ? (quoted[1] as string)
      : /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(raw)
        ? Number(raw)
        : raw;
  }
  return meta;
}

function typeArguments(pairs: readonly string[]): Record<string, MetaType> {
  const types: Record<string, MetaType> = {};
  for (const pair of pairs) {
    const [key = '', type = ''] = pair.split('=');
    if (!metaKeyPattern.test(key) || !(metaTypes as readonly string[]).includes(type)) {
      throw new CliError(`"${pair}" is not key=type, with type one of ${metaTypes.join(', ')}.`, USAGE);
    }
    types[key] = type as MetaType;
  }
  return types;
}

export function registerData(program: Command): void {
  const data = program
    .command('data')
    .description('files on storage elements by logical file name (LFN), and their metadata')
    .exitOverride(usageErrors);

  data
    .command('add')
    .description('upload a file to a storage element and register it, with metadata')
    .argument('<lfn>', 'e.g. /vo.example.org/user/a/alice/run1/data.root')
    .requiredOption('--se <name>', 'the storage element to upload to')
    .requiredOption('--file <path>', 'the local file')
    .option('--meta <key=value>', 'metadata of the file (repeatable)', collect, [])
    .action(async (text: string, options: { se: string; file: string; meta: string[] }, command: Command) => {
      const lfn = lfnArgument(text);
      if (!existsSync(options.file) || !statSync(options.file).isFile()) {
        throw new CliError(`${options.file} is not a file.`, USAGE);
      }
      await addData(connect(command), lfn, options.se, options.file, metadataArguments(options.meta));
      out.write(`${lfn}\n`);
    });

  data
    .command('ls')
    .description('the subdirectories and files of an LFN directory (your own, or any for an administrator)')
    .argument('<directory>', 'e.g. /vo.example.org/user/a/alice/17')
    .option('--json', 'print the directories and files as JSON')
    .action(async (directory: string, options: { json?: boolean }, command: Command) => {
      const listing = await listData(connect(command), lfnArgument(directory));
      if (options.json) out.write(`${toJson(listing)}\n`);
      else if (listing.directories.length + listing.files.length === 0)
        out.write(`Nothing in ${directory}.\n`);
      else {
        const rows = [
          ...listing.directories.map((path) => [`${path}/`, '', '']),
          ...listing.files.map((file) => [file.LFN, file.SE, file.Size]),
        ];
        out.write(`${formatRows(out, ['LFN', 'SE', 'Size'], rows)}\n`);
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

  data
    .command('replicas')
    .description('the replicas of a file: storage element, PFN, size, checksum')
    .argument('<lfn>')
    .option('--json', 'print the replicas as JSON')
    .action(async (text: string, options: { json?: boolean }, command: Command) => {
      const replicas = await replicasOf(connect(command), lfnArgument(text));
      if (options.json) out.write(`${toJson(replicas)}\n`);
      else {
        const rows = replicas.Replicas.map((r) => [r.SE, r.PFN, r.Size, r.Checksum]);
        out.write(`${formatRows(out, ['SE', 'PFN', 'Size', 'Checksum'], rows)}\n`);
      }
    });

  data
    .command('remove')
    .description('remove replicas of a file (all, or the one on --se); the file goes with its last replica')
    .argument('<lfn>')
    .option('--se <name>', 'remove only the replica on this storage element')
    .action(async (text: string, options: { se?: string }, command: Command) => {
      const removed = await removeData(connect(command), lfnArgument(text), options.se);
      for (const replica of removed.Removed) out.write(`removed ${removed.LFN} from ${replica.SE}\n`);
      if (removed.FileRemoved) out.write(`${removed.LFN} is no longer in the catalog\n`);
    });

  data
    .command('find')
    .description("the files whose metadata matches a query, e.g. 'run=1..5 type=RAW energy>6.5 site in A,B'")
    .argument(
      '<query>',
      "conditions, all of which must hold: = != < <= > >= in, ranges k=low..high; '...' quotes",
    )
    .option('--path <directory>', 'only files under this LFN directory')
    .option('--json', 'print the LFNs as a JSON array')
    .action(async (text: string, options: { path?: string; json?: boolean }, command: Command) => {
      let query: ReturnType<typeof parseQuery>;
      try {
        query = parseQuery(text);
      } catch (error) {
        if (error instanceof MuonError) throw new CliError(error.message, USAGE);
        throw error;
      }
      const path = options.path === undefined ? undefined : lfnArgument(options.path);
      const found: string[] = [];
      await findData(connect(command), query, path, (lfns) => {
        if (options.json) found.push(...lfns);
        else for (const lfn of lfns) out.write(`${lfn}\n`);
      });
      if (options.json) out.write(`${toJson(found.sort())}\n`);
    });

  const meta = data
    .command('meta')
    .description('metadata of files and directories (a directory passes its own to everything under it)')
    .exitOverride(usageErrors);

  meta
    .command('set')
    .description('set metadata on a file or a directory')
    .argument('<path>', 'an LFN or an LFN directory')
    .argument('<key=value...>', "metadata, e.g. run=12 energy=6.5 date=2024-05-01 tag='007'")
    .option('--type <key=type>', `the type of a new key: ${metaTypes.join(', ')} (repeatable)`, collect, [])
    .action(async (path: string, pairs: string[], options: { type: string[] }, command: Command) => {
      const target = lfnArgument(path);
      await setMetadata(connect(command), target, metadataArguments(pairs), typeArguments(options.type));
      out.write(`${target}\n`);
    });

  meta
    .command('show')
    .description("a file's or directory's metadata: its own, and what it inherits from where")
    .argument('<path>')
    .option('--json', 'print the metadata as JSON')
    .action(async (path: string, options: { json?: boolean }, command: Command) => {
      const shown = await showMetadata(connect(command), lfnArgument(path));
      if (options.json) {
        out.write(`${toJson(shown)}\n`);
        return;
      }
      const rows = [
        ...Object.entries(shown.Metadata).map(([key, value]) => [key, value, shown.Types[key], '']),
        ...Object.entries(shown.Inherited).map(([key, { value, from }]) => [
          key,
          value,
          shown.Types[key],
          from,
        ]),
      ];
      if (rows.length === 0) out.write(`${shown.Path} has no metadata.\n`);
      else out.write(`${formatRows(out, ['Key', 'Value', 'Type', 'Inherited from'], rows)}\n`);
    });
}
