/**
 * `npm run bench:catalog`: metadata queries over 1,000,000 catalogued files on the embedded runtime
 * (dynalite on disk). The files are 1,000 directories `/vo.example.org/bench/run<r>` of 1,000
 * files, each with metadata `run` (integer, its directory's number), `quality` (float) and
 * `stream` (string, A or B alternately), loaded with parallel BatchWrites through the catalog's
 * own bulk writer (shared/catalog/bulk.ts). The data stay in `.bench/catalog/` (git-ignored), so
 * a second run only queries; BENCH_RELOAD=1 starts again.
 *
 * Queries go through the HTTP API (`POST /api/data/find`, pages of 10,000), as a user's would:
 *   main: `run=100..119 stream=A` reads 20,000 index items of `run` and returns 10,000;
 *   also: `run=500..509` (10,000 read, 10,000 returned) and `run=7 quality>0.5`.
 * Each query runs BENCH_REPEATS times (default 5); the figures are the median and the best.
 * Ends with one JSON line. BENCH_FILES (default 1,000,000; a multiple of 1,000).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, percentile, round } from '#bench/support.ts';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime.ts';
import { type NewFile, registerNewFiles } from '#shared/catalog/bulk.ts';
import { catalogTable } from '#shared/catalog/service.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import { createLogger } from '#shared/log.ts';

const totalFiles = Number(process.env.BENCH_FILES ?? 1_000_000);
const perDirectory = 1000;
const directories = Math.ceil(totalFiles / perDirectory);
const repeats = Number(process.env.BENCH_REPEATS ?? 5);
const home = join(process.cwd(), '.bench', 'catalog');
const marker = join(home, 'loaded.json');
const vo = 'vo.example.org';
const root = `/${vo}/bench`;
const layout = { files: totalFiles, perDirectory, keys: ['run', 'quality', 'stream'], version: 1 };

if (process.env.BENCH_RELOAD === '1') rmSync(home, { recursive: true, force: true });
mkdirSync(home, { recursive: true });
const loaded = existsSync(marker) && readFileSync(marker, 'utf8') === JSON.stringify(layout);
if (!loaded && existsSync(join(home, 'dynamodb'))) {
  // A load that did not finish: start from nothing rather than count half a catalogue.
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
}

const runtime: LocalRuntime = await startLocalRuntime({
  config: loadConfigFile('config/muon.yaml'),
  home,
  port: 0,
  inMemory: false,
  logger: createLogger({ level: 'error', write: (line) => process.stderr.write(`${line}\n`) }),
});

/** The files of directory `r`. */
function directoryFiles(r: number, now: string): NewFile[] {
  return Array.from({ length: perDirectory }, (_, i) => {
    const lfn = `${root}/run${r}/f${String(i).padStart(4, '0')}.root`;
    return {
      replica: { lfn, se: 'LOCAL-DISK', pfn: `output-data${lfn}`, size: 1000 + i, registeredAt: now },
      // (r * 7919 + i * 104729) mod 1000 / 1000: deterministic and spread over [0, 1).
      meta: {
        run: r,
        quality: ((r * 7919 + i * 104_729) % 1000) / 1000 + 0.0005,
        stream: i % 2 === 0 ? 'A' : 'B',
      },
    };
  });
}

async function load(): Promise<number> {
  const started = performance.now();
  const tables = {
    catalog: catalogTable(runtime.deps),
    replicasTable: runtime.resources.tables.fileCatalog as string,
  };
  const now = new Date().toISOString();
  const madeDirectories = new Set<string>();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < directories) {
      const r = next++;
      await registerNewFiles(tables, vo, directoryFiles(r, now), now, { parallel: 4, madeDirectories });
      done += 1;
      if (done % 20 === 0) {
        const seconds = (performance.now() - started) / 1000;
        process.stderr.write(
          `loaded ${done * perDirectory} files in ${round(seconds)} s (${round((done * perDirectory) / seconds)} files/s)\n`,
        );
      }
    }
  };
  // The first directory alone: it declares the metadata fields once.
  next = 1;
  await registerNewFiles(tables, vo, directoryFiles(0, now), now, { parallel: 4, madeDirectories });
  done = 1;
  await Promise.all(Array.from({ length: 4 }, worker));
  writeFileSync(marker, JSON.stringify(layout));
  return (performance.now() - started) / 1000;
}

/** Every LFN of a query through the API, following pages; wall time in ms. */
async function query(text: string): Promise<{ ms: number; count: number; pages: number }> {
  const started = performance.now();
  let next: string | undefined;
  let count = 0;
  let pages = 0;
  do {
    const response = await fetch(`${runtime.apiUrl}/api/data/find`, {
      method: 'POST',
      headers: { authorization: `Bearer ${runtime.tokens.user}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Query: text, Limit: 10_000, ...(next ? { Next: next } : {}) }),
    });
    const body = (await response.json()) as { LFNs: string[]; next?: string; detail?: string };
    if (!response.ok) throw new Error(`${text}: ${response.status} ${body.detail}`);
    count += body.LFNs.length;
    next = body.next;
    pages += 1;
  } while (next);
  return { ms: performance.now() - started, count, pages };
}

async function measure(text: string, expected: number) {
  await query(text); // warm: the handler's first call loads modules
  const runs: Awaited<ReturnType<typeof query>>[] = [];
  for (let i = 0; i < repeats; i += 1) runs.push(await query(text));
  const wrong = runs.find((run) => run.count !== expected);
  if (wrong) throw new Error(`${text} returned ${wrong.count} files, not ${expected}`);
  const times = runs.map((run) => run.ms);
  return {
    query: text,
    files: expected,
    pages: runs[0]?.pages,
    medianMs: round(percentile(times, 50)),
    bestMs: round(Math.min(...times)),
    worstMs: round(Math.max(...times)),
  };
}

try {
  const loadSeconds = loaded ? undefined : await load();
  // Smaller catalogues (BENCH_FILES) shift the ranges to directories they have.
  const a = Math.min(100, directories - 20);
  const b = Math.min(500, directories - 10);
  const main = await measure(`run=${a}..${a + 19} stream=A`, 20 * (perDirectory / 2));
  const exact = await measure(`run=${b}..${b + 9}`, 10 * perDirectory);
  const small = await measure('run=7 quality>0.5', perDirectory / 2);
  console.log(
    JSON.stringify({
      benchmark: 'catalog',
      files: totalFiles,
      directories,
      loadedNow: !loaded,
      ...(loadSeconds !== undefined
        ? { loadSeconds: round(loadSeconds), loadFilesPerSecond: round(totalFiles / loadSeconds) }
        : {}),
      repeats,
      query: main.query,
      returned: main.files,
      medianMs: main.medianMs,
      bestMs: main.bestMs,
      targetMs: 1000,
      queries: [main, exact, small],
      machine: machine(),
    }),
  );
} finally {
  await runtime.stop();
}
