/**
 * What a log line costs (shared/log.ts, Powertools Logger underneath): a child logger and one line
 * to an in-memory sink, and a line below the level, per call. `node --import tsx bench/log.ts`.
 */
import { createLogger } from '#shared/log.ts';

const rounds = 20_000;
const lines: string[] = [];
const logger = createLogger({ write: (line) => lines.push(line), context: { component: 'bench' } });

function perCall(run: (i: number) => void): number {
  for (let i = 0; i < 1000; i++) run(i);
  const started = performance.now();
  for (let i = 0; i < rounds; i++) run(i);
  return ((performance.now() - started) / rounds) * 1000;
}

const written = perCall((i) =>
  logger.child({ requestId: `r${i}` }).info('request', { statusCode: 200, ms: 1.5 }),
);
lines.length = 0;
const dropped = perCall((i) => logger.debug('detail', { i }));
console.log(`child + line: ${written.toFixed(1)} µs; line below the level: ${dropped.toFixed(2)} µs`);
