#!/usr/bin/env node
// `npm test`: static checks (types, lint and format, import cycles), the unit and integration
// tests, then the CWL conformance gate: the 84 `required` tests of CWL v1.2 (test/conformance/)
// through `muon cwl-runner` on an embedded runtime, where each test cwltool passes must pass (one
// count per test). Arguments go to vitest and skip the gate (a developer's partial run). It ends with one plain line `N passed, N failed` counted from vitest's own results, and
// exits non-zero if anything failed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', FORCE_COLOR: '0' };
const run = (label, command, args) => {
  const started = Date.now();
  process.stdout.write(`\n== ${label}: ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  process.stdout.write(
    `== ${label}: ${result.status === 0 ? 'ok' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  );
  return result.status === 0;
};

const checks = [
  ['types', 'npx', ['tsc', '-p', '.']],
  ['web monitor types', 'npx', ['tsc', '-p', 'web']],
  ['lint and format', 'npx', ['biome', 'check', '--error-on-warnings', '.']],
  ['import cycles', 'npm', ['run', '-s', 'check:cycles']],
];
let failedChecks = 0;
for (const [label, command, args] of checks) if (!run(label, command, args)) failedChecks += 1;

const out = mkdtempSync(join(tmpdir(), 'muon-vitest-'));
const report = join(out, 'results.json');
const testsOk = run('tests', 'npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
]);

let passed = 0;
let failed = 0;
const conformance = runConformance();
try {
  const results = JSON.parse(readFileSync(report, 'utf8'));
  passed = results.numPassedTests;
  failed = results.numFailedTests;
  // A file that fails to load has no failed test but must still fail the run.
  if (!testsOk && failed === 0) failed = Math.max(1, results.numFailedTestSuites);
} catch {
  failed += 1;
  console.error('The test results could not be read: vitest did not finish.');
}
rmSync(out, { recursive: true, force: true });
passed += conformance.passed;
failed += failedChecks + conformance.failed;
if (failedChecks > 0)
  console.error(`${failedChecks} static check(s) failed (each counts as one failure below).`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && testsOk ? 0 : 1);

/** The conformance gate; its tests count as passed or failed, a gate that cannot run as one failure. */
function runConformance() {
  if (process.argv.length > 2) return { passed: 0, failed: 0 };
  const suite = join('test', 'conformance');
  const summaryFile = join(out, 'conformance.json');
  run('CWL conformance (required)', 'node', [
    join('scripts', 'conformance.mjs'),
    '--suite',
    join(suite, 'cwl-v1.2'),
    '--baseline',
    join(suite, 'cwltool-required.csv'),
    '--runner',
    join('scripts', 'cwl-conformance.py'),
    '-j',
    '2',
    '--summary',
    summaryFile,
  ]);
  try {
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
    // The baseline holds only the suite's tests: one cwltool passes that did not pass, or did not run, failed.
    return { passed: summary.passed, failed: summary.cwltoolPasses - summary.passed };
  } catch (error) {
    console.error(`The conformance results could not be read: ${error.message}`);
    return { passed: 0, failed: 1 };
  }
}
