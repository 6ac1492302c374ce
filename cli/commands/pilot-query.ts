/**
 * `muon pilot list` and `muon pilot summary` (DIRAC's dirac-admin-get-pilot-info and PilotSummary,
 * DiracX's pilot search): `POST /api/pilots/search` and `/summary` with the job search's condition
 * language over the pilot columns. An administrator sees the VO's pilots, a user those that ran
 * their jobs. Tables on a terminal, tab-separated lines when piped, the API's JSON with `--json`.
 */
import type { Command } from 'commander';
import { flagOptions } from '#cli/client.ts';
import { createJobApi, parseContentRange, type SearchSpec } from '#cli/commands/job-api.ts';
import {
  type ColumnSet,
  parseColumn,
  parseCondition,
  parseCount,
  parseSort,
} from '#cli/commands/job-conditions.ts';
import { CliError } from '#cli/errors.ts';
import { formatRecords, type Output, toJson } from '#cli/format.ts';

/** shared/pilots/search.ts's `pilotColumns`, named here so the CLI need not load the store (a unit test keeps them equal). */
export const pilotColumnNames = [
  'PilotReference',
  'PilotStamp',
  'VO',
  'Site',
  'GridCE',
  'CEType',
  'Queue',
  'BatchJobID',
  'Status',
  'StatusReason',
  'Version',
  'Cores',
  'MemoryMB',
  'SubmissionTime',
  'RegistrationTime',
  'LastSeenTime',
  'LastUpdateTime',
  'Jobs',
] as const;

const pilotColumnSet: ColumnSet = { what: 'pilot', names: pilotColumnNames };
const listColumns = ['PilotReference', 'Site', 'GridCE', 'Status', 'Jobs', 'LastSeenTime'];
const collect = (value: string, previous: string[] = []) => [...previous, value];

interface ListOptions {
  condition?: string[];
  parameter?: string[];
  sort?: string[];
  page: string;
  perPage: string;
  json?: boolean;
}

export function registerPilotQueries(
  program: Command,
  out: Output = process.stdout,
  err: Output = process.stderr,
) {
  const pilot = program.commands.find((command) => command.name() === 'pilot');
  if (!pilot) throw new Error('the pilot command must be registered first');
  const connect = (command: Command) => createJobApi(flagOptions(command)).client;

  pilot
    .command('list')
    .description('the pilots you may see, a page at a time (a VO’s for an administrator)')
    .option('--condition <condition>', 'e.g. "Status eq Running", "Site in A,B" (repeatable)', collect)
    .option('--parameter <column>', 'a column to show (repeatable)', collect)
    .option('--sort <sort>', 'e.g. "LastSeenTime desc" (repeatable)', collect)
    .option('--page <n>', 'the page to show', '1')
    .option('--per-page <n>', 'pilots per page', '100')
    .option('--json', 'print the API answer as JSON')
    .addHelpText('after', `\nColumns: ${pilotColumnNames.join(', ')}.`)
    .action(async (options: ListOptions, command: Command) => {
      const parameters = (options.parameter ?? listColumns).map((name) =>
        parseColumn(name, '--parameter', [], pilotColumnSet),
      );
      const body = {
        parameters,
        search: (options.condition ?? []).map((text) => parseCondition(text, pilotColumnSet)),
        sort: (options.sort ?? []).map((text) => parseSort(text, pilotColumnSet)),
      };
      const page = parseCount(options.page, '--page');
      const perPage = parseCount(options.perPage, '--per-page', 1, 10_000);
      const answer = await connect(command).send(
        'POST',
        `/api/pilots/search?page=${page}&per_page=${perPage}`,
        body,
      );
      if (answer.status === 416) throw new CliError(`Page ${page} is past the end of the pilots.`);
      if (answer.status !== 200 && answer.status !== 206) {
        throw new CliError(
          `POST /api/pilots/search failed (${answer.status}): ${JSON.stringify(answer.body)}`,
        );
      }
      const rows = answer.body as Record<string, unknown>[];
      if (options.json) return void out.write(`${toJson(rows)}\n`);
      if (rows.length === 0) return void out.write('No pilots found.\n');
      out.write(`${formatRecords(out, parameters, rows)}\n`);
      const range = parseContentRange(answer.headers.get('content-range'));
      if (range)
        (out.isTTY ? out : err).write(`pilots ${range.first + 1}-${range.last + 1} of ${range.total}\n`);
    });

  pilot
    .command('summary')
    .description('count the pilots you may see, grouped by columns (default: Site and Status)')
    .option('--group <column>', 'a column to group by (repeatable), e.g. Site, GridCE, Status', collect)
    .option('--condition <condition>', 'only pilots meeting it, as in list (repeatable)', collect)
    .option('--json', 'print the API answer as JSON')
    .action(async (options: { group?: string[]; condition?: string[]; json?: boolean }, command: Command) => {
      const grouping = (options.group ?? ['Site', 'Status']).map((name) =>
        parseColumn(name, '--group', [], pilotColumnSet),
      );
      const search: SearchSpec[] = (options.condition ?? []).map((text) =>
        parseCondition(text, pilotColumnSet),
      );
      const { body } = await connect(command).request<Record<string, unknown>[]>(
        'POST',
        '/api/pilots/summary',
        {
          grouping,
          search,
        },
      );
      if (options.json) return void out.write(`${toJson(body)}\n`);
      if (body.length === 0) return void out.write('No pilots found.\n');
      const columns = [...grouping, 'count'];
      out.write(`${formatRecords(out, columns, body)}\n`);
    });
}
