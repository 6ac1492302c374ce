#!/usr/bin/env node
// `npm run conformance -- [--suite DIR] [--tags t1,t2] [-j N]`: CWL's conformance suite through
// `muon cwl-runner`, with the project's stand-alone runner (cwltest's semantics, Python). It talks
// to a running muon (--api-url, or MUON_API_URL) or starts the embedded runtime itself in a
// temporary MUON_HOME and stops it at the end. It prints pass/fail/unsupported per tag, then
// compares with cwltool's verdicts on this machine and lists every selected test cwltool passes and
// muon does not; it exits 1 if there is one.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildCli } from './build.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(root, '..', 'shared');

const usage = `usage: npm run conformance -- [options]

  --suite <dir>       the CWL suite, holding conformance_tests.yaml (default: ../shared/cwl-v1.2)
  --packed            run a copy of the suite whose tools are what cwltool --pack makes of them
                      (scripts/pack-cwl-suite.py): muon takes packed documents as cwltool does
  --tags <t1,t2>      only tests with any of these tags (default: all)
  --ids <id1,id2>     only these tests
  -j, --jobs <n>      tests at once (default: 2)
  --timeout <s>       per test (default: 600)
  --api-url <url>     a running muon (also MUON_API_URL; token from MUON_TOKEN or $MUON_HOME/local.json,
                      .muon/ by default, as \`npm start\` writes it); without, one is started
  --executor <cmd>    another runner instead of muon (e.g. "/usr/bin/cwltool --no-container")
  --cli <built|source>  muon cwl-runner as the installed package runs it, built first with
                      scripts/build.mjs (default), or the TypeScript sources through tsx
  --baseline <csv>    cwltool's verdicts (default: ../shared/reference/cwl-baseline-cwltool.csv)
  --runner <py>       the conformance runner (default: scripts/cwl-conformance.py)
  --csv <file>        keep the per-test results here (default: a temporary file)
  --summary <file>    write {"cwltoolPasses", "passed", "behind"} as JSON here (npm test's gate)
  --keep-home         keep the started runtime's MUON_HOME (its logs) instead of removing it`;

const { values: options } = parseArgs({
  options: {
    suite: { type: 'string', default: join(shared, 'cwl-v1.2') },
    tags: { type: 'string' },
    ids: { type: 'string' },
    jobs: { type: 'string', short: 'j', default: '2' },
    timeout: { type: 'string', default: '600' },
    'api-url': { type: 'string' },
    executor: { type: 'string' },
    cli: { type: 'string', default: 'built' },
    baseline: { type: 'string', default: join(shared, 'reference', 'cwl-baseline-cwltool.csv') },
    runner: { type: 'string', default: join(root, 'scripts', 'cwl-conformance.py') },
    csv: { type: 'string' },
    summary: { type: 'string' },
    'keep-home': { type: 'boolean', default: false },
    packed: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (options.help) {
  console.log(usage);
  process.exit(0);
}
if (options.cli !== 'built' && options.cli !== 'source')
  fail(`--cli is built or source, not "${options.cli}"`);

const python = '/usr/bin/python3';
const given = resolve(options.suite);
for (const [what, path] of [
  ['the conformance tests', join(given, 'conformance_tests.yaml')],
  ['the conformance runner', resolve(options.runner)],
  ['python3', python],
]) {
  if (!existsSync(path)) fail(`${what} not found at ${path}`);
}
const work = mkdtempSync(join(tmpdir(), 'muon-conformance-'));
const suite = options.packed ? packedSuite(given, join(work, 'suite')) : given;
const testFile = join(suite, 'conformance_tests.yaml');
const csvFile = resolve(options.csv ?? join(work, 'results.csv'));
mkdirSync(dirname(csvFile), { recursive: true });

const apiUrl = options['api-url'] ?? process.env.MUON_API_URL;
const useMuon = options.executor === undefined;
/** The `muon local` started here, from its spawn on: the finally stops it and removes its home. */
let runtime;
let runner;
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) {
      // Graceful on the first signal, forced on the second.
      console.error(`\n${signal} again: killing the tests${runtime ? ' and the runtime' : ''}`);
      runner?.kill('SIGKILL');
      runtime?.kill();
      return;
    }
    stopping = true;
    console.error(`\n${signal}: stopping the tests${runtime ? ' and the runtime' : ''}`);
    runner?.kill('SIGTERM');
  });
}

try {
  const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  if (useMuon && apiUrl) {
    env.MUON_API_URL = apiUrl;
    // The token: MUON_TOKEN, or the local.json of `npm start` (the runner's cwd is the suite).
    env.MUON_HOME = resolve(root, process.env.MUON_HOME || '.muon');
  } else if (useMuon) {
    await startRuntime();
    env.MUON_HOME = runtime.home;
  }
  // The runner starts once per test: the built CLI starts on a fraction of tsx's CPU. It is built
  // here, from the tree as it is, so the run never takes an older dist/.
  if (useMuon && options.cli === 'built') await buildCli();
  const cli = options.cli === 'built' ? join(root, 'dist', 'cli', 'run.mjs') : join(root, 'bin', 'muon.mjs');
  const executor = options.executor ?? `node ${cli} cwl-runner`;
  const args = [
    resolve(options.runner),
    '--test',
    testFile,
    '--executor',
    executor,
    '-j',
    options.jobs,
    '--timeout',
    options.timeout,
    '--tmpdir',
    join(work, 'out'),
    '--csv',
    csvFile,
    ...(options.tags ? ['--tags', options.tags] : []),
    ...(options.ids ? ['--ids', options.ids] : []),
  ];
  const started = Date.now();
  const code = stopping ? 130 : await run(python, args, env);
  const wall = (Date.now() - started) / 1000;
  // The runner exits 1 when a test failed; anything else means it could not run the suite.
  // Thrown, not exited: the finally stops the runtime.
  if (code !== 0 && code !== 1) throw new Error(`the conformance runner exited ${code}`);
  process.exitCode = report(readCsv(csvFile), wall, executor);
} catch (error) {
  console.error(`conformance: ${error.message}`);
  process.exitCode = 2;
} finally {
  await runtime?.stop();
  if (runtime && !options['keep-home']) rmSync(runtime.home, { recursive: true, force: true });
  else if (runtime) console.error(`runtime home kept: ${runtime.home}`);
  // The work directory stays only when it holds the results (no --csv).
  rmSync(options.csv ? work : join(work, 'out'), { recursive: true, force: true });
  rmSync(join(work, 'suite'), { recursive: true, force: true });
}

function report(results, wall, executor) {
  const counts = new Map();
  for (const result of results) {
    for (const tag of [...result.tags.split(' ').filter(Boolean), 'all']) {
      const count = counts.get(tag) ?? { total: 0, pass: 0, fail: 0, unsupported: 0, timeout: 0 };
      count.total += 1;
      count[result.status] = (count[result.status] ?? 0) + 1;
      counts.set(tag, count);
    }
  }
  const tags = [...counts.keys()].filter((tag) => tag !== 'all').sort();
  const rows = [...tags, 'all'].map((tag) => {
    const c = counts.get(tag);
    return [tag, c.total, c.pass, c.fail, c.unsupported, c.timeout];
  });
  console.log(`\n${executor}: ${results.length} tests in ${wall.toFixed(0)} s (-j ${options.jobs})\n`);
  console.log(table([['tag', 'total', 'pass', 'fail', 'unsupported', 'timeout'], ...rows]));
  console.log(`\nper-test results: ${csvFile}`);

  const baseline = existsSync(options.baseline) ? readCsv(options.baseline) : undefined;
  if (!baseline) {
    console.log(`no cwltool baseline at ${options.baseline}: nothing to compare with`);
    return results.some((r) => r.status === 'fail' || r.status === 'timeout') ? 1 : 0;
  }
  // A test counts as passed by cwltool when every recorded run of it passed.
  const cwltoolPasses = new Set(
    baseline
      .filter((row) => Object.entries(row).every(([k, v]) => !k.startsWith('status') || v === 'pass'))
      .map((row) => row.id),
  );
  const behind = results.filter((r) => cwltoolPasses.has(r.id) && r.status !== 'pass');
  if (options.summary) {
    const passed = results.filter((r) => cwltoolPasses.has(r.id) && r.status === 'pass').length;
    const summary = { cwltoolPasses: cwltoolPasses.size, passed, behind: behind.map((r) => r.id) };
    writeFileSync(options.summary, `${JSON.stringify(summary)}\n`);
  }
  const ahead = results.filter((r) => !cwltoolPasses.has(r.id) && r.status === 'pass');
  if (ahead.length > 0) console.log(`\npassed here, not by cwltool: ${ahead.map((r) => r.id).join(', ')}`);
  if (behind.length === 0) {
    console.log('\nevery selected test cwltool passes passed here too');
    return 0;
  }
  console.log(
    `\n${behind.length} test${behind.length === 1 ? '' : 's'} cwltool passes and this run did not:\n`,
  );
  console.log(
    table([['#', 'id', 'status', 'reason'], ...behind.map((r) => [r.n, r.id, r.status, r.reason])]),
  );
  return 1;
}

/** Starts `muon local` in a fresh home on a free port and waits until /api/health answers. */
async function startRuntime() {
  const home = mkdtempSync(join(tmpdir(), 'muon-conformance-home-'));
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin', 'muon.mjs'),
      'local',
      '--port',
      '0',
      '--in-memory',
      '-c',
      join(root, 'config', 'muon.yaml'),
    ],
    { cwd: root, env: { ...process.env, MUON_HOME: home }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise((done) => child.once('exit', (code, signal) => done(code ?? signal)));
  const ended = () => child.exitCode !== null || child.signalCode !== null;
  const stop = async () => {
    if (ended()) return;
    child.kill('SIGTERM');
    // The runtime drains on the first signal; a second one forces it, as Ctrl-C twice would.
    const again = setTimeout(() => child.kill('SIGTERM'), 30_000);
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(again);
    clearTimeout(kill);
  };
  runtime = { home, stop, kill: () => child.kill('SIGKILL') };
  const started = Date.now();
  const localFile = join(home, 'local.json');
  while (Date.now() - started < 120_000) {
    if (stopping) throw new Error('stopped while muon local was starting');
    if (ended()) throw new Error(`muon local exited ${child.exitCode ?? child.signalCode} while starting`);
    const apiUrl = readApiUrl(localFile);
    if (apiUrl && (await healthy(apiUrl))) {
      console.error(`muon local is up at ${apiUrl} (home ${home}) after ${(Date.now() - started) / 1000} s`);
      return;
    }
    await new Promise((done) => setTimeout(done, 500));
  }
  throw new Error('muon local did not answer /api/health within 120 s');
}

/** The runtime's API URL once its local.json is written (it may be missing or half written). */
function readApiUrl(localFile) {
  try {
    return JSON.parse(readFileSync(localFile, 'utf8')).apiUrl;
  } catch {
    return undefined;
  }
}

async function healthy(apiUrl) {
  try {
    return (await fetch(`${apiUrl}/api/health`)).ok;
  } catch {
    return false;
  }
}

function run(command, args, env) {
  return new Promise((done, reject) => {
    runner = spawn(command, args, { cwd: suite, env, stdio: 'inherit' });
    runner.once('error', reject);
    runner.once('exit', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

/** The runner's CSV (RFC 4180: quoted fields may hold commas, quotes and newlines) as objects. */
function readCsv(file) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  const text = readFileSync(file, 'utf8');
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  const [header = [], ...body] = rows;
  return body.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ''])));
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  const width = (cell, i) => (i === rows[0].length - 1 ? String(cell) : String(cell).padEnd(widths[i]));
  return rows.map((row) => row.map(width).join('  ').trimEnd()).join('\n');
}

/** The suite copied to `dest` with every tool packed by cwltool (scripts/pack-cwl-suite.py). */
function packedSuite(source, dest) {
  const script = join(root, 'scripts', 'pack-cwl-suite.py');
  const packing = spawnSync(python, [script, source, dest, '-j', options.jobs], { stdio: 'inherit' });
  if (packing.status !== 0) fail(`packing the suite with cwltool failed (${script})`);
  return dest;
}

function fail(message) {
  console.error(`conformance: ${message}\n\n${usage}`);
  process.exit(2);
}
