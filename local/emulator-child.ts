/** Starts the emulators in a child process and stops it again; see emulator-process.ts. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Emulators } from '#local/emulators.ts';
import type { Endpoints } from '#shared/aws/clients.ts';

export async function startEmulatorProcess(options: {
  dataDir: string;
  inMemory?: boolean;
}): Promise<Emulators> {
  const entry = fileURLToPath(new URL('./emulator-process.ts', import.meta.url));
  const child = fork(entry, [], {
    execArgv: ['--import', 'tsx', '--openssl-legacy-provider'],
    env: {
      ...process.env,
      MUON_EMULATOR_DATA_DIR: options.dataDir,
      MUON_EMULATOR_IN_MEMORY: options.inMemory ? '1' : '0',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoints = await new Promise<Endpoints>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { endpoints: Endpoints }).endpoints));
    child.once('exit', (code) =>
      reject(new Error(`The emulator process exited with code ${code} before it was ready.`)),
    );
  });
  return {
    endpoints,
    close: async () => {
      if (child.exitCode === null) {
        child.send('stop');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
