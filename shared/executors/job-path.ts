/**
 * JobPath chooses the executor chain of a job: the job's own `JobPath` if it names one, otherwise
 * the configured base path, InputData when the job has input data, and the end path.
 */
import type { MuonConfig } from '#shared/config/schema.ts';
import { ConfigurationError } from '#shared/errors.ts';
import type { Executor } from '#shared/executors/executor.ts';

export function createJobPath(config: MuonConfig, known: ReadonlySet<string>): Executor {
  const { basePath, endPath } = config.executors;
  for (const [setting, names] of [
    ['executors.basePath', basePath],
    ['executors.endPath', endPath],
  ] as const) {
    const unknown = names.filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new ConfigurationError(
        `${setting} names unknown executors: ${unknown.join(', ')} (known: ${[...known].join(', ')}).`,
      );
    }
  }
  if (basePath[0] !== 'JobPath') throw new ConfigurationError('executors.basePath must start with JobPath.');
  if (endPath[endPath.length - 1] !== 'JobScheduling') {
    throw new ConfigurationError(
      'executors.endPath must end with JobScheduling, which hands jobs to task queues.',
    );
  }
  return {
    name: 'JobPath',
    optimize: async (job) => {
      const requested = job.description.jobPath;
      if (requested) {
        const unknown = requested.filter((name) => !known.has(name));
        if (unknown.length > 0)
          return { kind: 'fail', reason: `Unknown executor in JobPath: ${unknown.join(', ')}` };
        if (requested[requested.length - 1] !== 'JobScheduling') {
          return { kind: 'fail', reason: 'JobPath must end with JobScheduling' };
        }
      }
      const chain = requested
        ? ['JobPath', ...requested.filter((name) => name !== 'JobPath')]
        : [...basePath, ...(job.description.inputData.length > 0 ? ['InputData'] : []), ...endPath];
      return { kind: 'continue', changes: { chain: [...new Set(chain)] } };
    },
  };
}
