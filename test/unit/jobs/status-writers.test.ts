/**
 * One owner per job transition: no module outside shared/jobs/transitions/ writes a job's status.
 * Scans the source for update expressions that set or remove `status` or `statusKey` (under any
 * `#alias` the file maps to them), for whole job items (`jobItem`, which carries both), and for
 * any write to the jobs table, recognised by its key builders (nothing bypasses
 * shared/jobs/store/keys.ts), so attribute names built in code are caught too; it names the file.
 * Reads (KeyCondition, Filter, Projection and Condition expressions) are allowed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allowedTransitions, canTransition } from '#shared/jobs/status.ts';
import { transitions, transitionsTable } from '#shared/jobs/transitions/index.ts';

const root = join(import.meta.dirname, '../../..');
const scanned = ['shared', 'functions', 'local', 'pilot'];
const owner = 'shared/jobs/transitions/';
/** Builds every key of the jobs table, writes none. */
const keyBuilder = 'shared/jobs/store/keys.ts';
/** Writers of the jobs table outside the transitions, each with why it never writes a status. */
const jobsTableWriters: Record<string, string> = {
  'shared/jobs/store/write-jobs.ts':
    'updateJob throws on status and statusKey; writeBatch puts the items of submit.ts',
  'shared/jobs/store/heartbeat-log.ts':
    "puts heartbeat items (HEARTBEAT#<time>) beside the job item, never the job's own",
  [keyBuilder]: 'builds every key of the jobs table, writes none',
};
/** The jobs table's key builders, and the commands that write an item. */
const keyBuilders = /\b(jobKey|jobItem)\(/;
const writeCommands = /\b(UpdateCommand|PutCommand|BatchWriteCommand|TransactWriteCommand)\b|\bwriteBatch\(/;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The `#aliases` a file maps to `status` or `statusKey`, and the names themselves. */
function statusNames(text: string): string[] {
  const aliases = [...text.matchAll(/['"]?(#\w+)['"]?\s*:\s*['"](status|statusKey)['"]/g)].map(
    (m) => m[1] as string,
  );
  return [...new Set(['#status', '#statusKey', 'statusKey', ...aliases])];
}

/** Each UpdateExpression's text: from the key to the next property of the command. */
function updateExpressions(text: string): string[] {
  return [...text.matchAll(/UpdateExpression\s*:([\s\S]*?)(?:\n\s*[A-Z]\w*\s*:|\n\s*\}\))/g)].map(
    (m) => m[1] as string,
  );
}

function statusWriters(files: readonly string[], read: (file: string) => string): string[] {
  const found: string[] = [];
  for (const file of files) {
    if (file.startsWith(owner)) continue;
    const text = read(file);
    const names = statusNames(text);
    const writes = updateExpressions(text).some((expression) =>
      names.some(
        (name) =>
          new RegExp(`${name.replace('#', '\\#')}(?![\\w])`).test(expression) &&
          /SET|REMOVE/.test(expression),
      ),
    );
    // A whole job item (as a submission writes) or a status changed through a generic update.
    const items = file !== keyBuilder && /\bjobItem\(|\bindexKeys\(/.test(text);
    const generic = /assign\(\s*['"](status|statusKey)['"]/.test(text);
    // Any write to the jobs table, whatever names it builds.
    const keyed = !(file in jobsTableWriters) && keyBuilders.test(text) && writeCommands.test(text);
    if (writes || items || generic || keyed) found.push(file);
  }
  return found;
}

describe('Job status writers', () => {
  const files = scanned.flatMap(sources).map((file) => relative(root, join(root, file)));

  it('are only the transitions of shared/jobs/transitions/', () => {
    expect(statusWriters(files, (file) => readFileSync(join(root, file), 'utf8'))).toEqual([]);
  });

  it('are found under an alias, in a template, as a whole item, or by a write with a jobs-table key', () => {
    const fake: Record<string, string> = {
      'shared/a.ts': "UpdateExpression: 'SET #s = :s',\n ExpressionAttributeNames: { '#s': 'status' },",
      // The source text of a template literal, as a file would hold it.
      'shared/b.ts': `UpdateExpression: \`SET $\{sets}, #statusKey = :k\`,\n ConditionExpression: "x",`,
      'shared/c.ts': 'const item = jobItem(job);',
      'shared/d.ts': "KeyConditionExpression: '#statusKey = :key', names: { '#statusKey': 'statusKey' }",
      'shared/e.ts': "UpdateExpression: 'SET #v = :v',\n ConditionExpression: '#status = :s',",
      // Names built in code, called with changes = { status }.
      'shared/f.ts': `const fields = Object.keys(changes);
await dynamo.send(new UpdateCommand({ TableName: table, Key: jobKey(jobId),
  UpdateExpression: \`SET $\{fields.map((f) => \`#$\{f} = :$\{f}\`).join(', ')}\`,
  ExpressionAttributeNames: Object.fromEntries(fields.map((f) => [\`#$\{f}\`, f])),
}));`,
      'shared/g.ts': 'await dynamo.send(new GetCommand({ TableName: table, Key: jobKey(jobId) }));',
    };
    expect(statusWriters(Object.keys(fake), (file) => fake[file] as string)).toEqual([
      'shared/a.ts',
      'shared/b.ts',
      'shared/c.ts',
      'shared/f.ts',
    ]);
  });

  it('excuse only jobs-table writers that exist and still build its keys', () => {
    for (const file of Object.keys(jobsTableWriters)) {
      expect(files).toContain(file);
      expect(readFileSync(join(root, file), 'utf8')).toMatch(keyBuilders);
    }
  });
});

describe('The transitions table', () => {
  it('takes every unforced source from DIRAC’s table', () => {
    for (const t of transitions) {
      if (t.forced || t.from === 'reported' || t.to === 'reported') continue;
      const to = t.to[0];
      if (!to) throw new Error(`${t.name} has no target`);
      for (const from of t.from) expect(canTransition(from, to), `${t.name}: ${from} → ${to}`).toBe(true);
    }
    expect(Object.keys(allowedTransitions)).toHaveLength(16);
  });

  it('is the one docs/architecture.md shows', () => {
    const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
    expect(doc).toContain(transitionsTable());
  });
});
