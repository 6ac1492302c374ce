/**
 * The runtime of the chaos run (scripts/chaos.ts): `muon local` itself (local/main.ts, same lock,
 * signals and emulator watch), with the agents on a seconds-long cycle so that stalled and lost
 * jobs come back within a bounded run. Arguments: <config file> <port>; the home is MUON_HOME.
 */
import { runLocal } from '#local/main.ts';

const [config, port] = process.argv.slice(2);
if (!config || !port) {
  console.error('usage: chaos-runtime.ts <config file> <port>');
  process.exit(2);
}
process.exitCode = await runLocal({
  config,
  port: Number(port),
  scheduleEveryMs: Number(process.env.CHAOS_AGENTS_EVERY_MS ?? 2000),
});
