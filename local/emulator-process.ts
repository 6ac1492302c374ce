/**
 * Child-process entry for the emulators, so that they use the second core and so that s3rver's
 * `--openssl-legacy-provider` need stays out of the main process. It reports its endpoints over
 * IPC and exits when told to or when its parent goes away. The parent watches it and starts a new
 * one on the same ports and data if it dies (emulator-child.ts).
 */
import { type EmulatorName, startEmulators } from '#local/emulators.ts';
import { faultsSchema } from '#local/fault-proxy.ts';

const dataDir = process.env.MUON_EMULATOR_DATA_DIR;
if (!dataDir || !process.send) {
  console.error('emulator-process must be forked by the local runtime with MUON_EMULATOR_DATA_DIR set');
  process.exit(2);
}

const emulators = await startEmulators({
  dataDir,
  inMemory: process.env.MUON_EMULATOR_IN_MEMORY === '1',
  // Absent: all of them.
  only: process.env.MUON_EMULATORS?.split(',') as EmulatorName[] | undefined,
  // Set when this child replaces one that died: the same ports, so the runtime's clients reconnect.
  ports: process.env.MUON_EMULATOR_PORTS
    ? (JSON.parse(process.env.MUON_EMULATOR_PORTS) as Partial<Record<EmulatorName, number>>)
    : {},
  // The chaos run's faults in front of S3 (fault-proxy.ts); never set by `npm start`.
  ...(process.env.MUON_EMULATOR_S3_FAULTS
    ? { s3Faults: faultsSchema.parse(JSON.parse(process.env.MUON_EMULATOR_S3_FAULTS)) }
    : {}),
});
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await emulators.close();
  process.exit(0);
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
// The parent handles Ctrl-C for the whole process group and stops us in order.
process.on('SIGINT', () => undefined);
process.on('message', (message) => {
  if (message === 'stop') void stop();
});
// A parent that died while this child started cannot hear it: then this child goes too.
process.send({ endpoints: emulators.endpoints }, (error: Error | null) => {
  if (error) void stop();
});
