/**
 * Starts the emulators in child processes and stops them again (see emulator-process.ts).
 * DynamoDB gets a process of its own and SQS shares one with S3: the executor chain keeps both
 * DynamoDB and SQS busy, and one process for both saturates its core first.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EmulatorName, Emulators } from '#local/emulators.ts';
import type { Endpoints } from '#shared/aws/clients.ts';

const groups: readonly (readonly EmulatorName[])[] = [['dynamodb'], ['sqs', 's3']];

export async function startEmulatorProcesses(options: {
  dataDir: string;
  inMemory?: boolean;
}): Promise<Emulators> {
  const started = await Promise.allSettled(groups.map((only) => startEmulatorProcess({ ...options, only })));
  const running = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(running.map((e) => e.close()));
    throw failed.reason;
  }
  const [dynamo, queues] = running as [Emulators, Emulators];
  return {
    endpoints: { dynamodb: dynamo.endpoints.dynamodb, sqs: queues.endpoints.sqs, s3: queues.endpoints.s3 },
    close: async () => {
      await Promise.all(running.map((e) => e.close()));
    },
  };
}

async function startEmulatorProcess(options: {
  dataDir: string;
  inMemory?: boolean;
  only: readonly EmulatorName[];
}): Promise<Emulators> {
  const entry = fileURLToPath(new URL('./emulator-process.ts', import.meta.url));
  const child = fork(entry, [], {
    execArgv: ['--import', 'tsx', '--openssl-legacy-provider'],
    env: {
      ...process.env,
      MUON_EMULATOR_DATA_DIR: options.dataDir,
      MUON_EMULATOR_IN_MEMORY: options.inMemory ? '1' : '0',
      MUON_EMULATORS: options.only.join(','),
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
