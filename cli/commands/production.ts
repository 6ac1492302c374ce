/**
 * `muon production ...` (dirac-cwl's `production submit`, DIRAC's dirac-prod-* commands): submit a
 * multi-step CWL Workflow with its steps metadata, follow it step by step, stop, start, clean.
 * The Workflow and the steps metadata are checked here first, as the API checks them, so a mistake
 * is told with its file before anything is sent. Usage errors exit with 2, refusals with 1.
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { flagOptions, refusal, resolveClient } from '#cli/client.ts';
import { validatePacked } from '#cli/cwl/locate.ts';
import { packCwl } from '#cli/cwl/pack.ts';
import { CliError, USAGE, usageErrors } from '#cli/errors.ts';
import { type Output, toJson } from '#cli/format.ts';
import { readMapping } from '#cli/inputs.ts';
import { CwlValidationError } from '#shared/cwl/errors.ts';
import { parsePlainId } from '#shared/http/path-ids.ts';
import type { ProductionView } from '#shared/productions/model.ts';
import { ProductionInvalidError, planProduction } from '#shared/productions/plan.ts';
import { formatProduction } from './production-status.ts';

const connect = (command: Command) => resolveClient(flagOptions(command));
const out: Output = process.stdout;

function productionId(text: string): string {
  if (parsePlainId(text) === undefined) throw new CliError(`"${text}" is not a production id.`, USAGE);
  return text;
}

/** The packed Workflow and the steps metadata, checked as the API will check them. */
export function readProduction(workflowFile: string, stepsFile: string | undefined, name?: string) {
  const packed = packCwl(workflowFile);
  const steps = stepsFile ? readMapping(stepsFile, 'steps metadata') : {};
  try {
    validatePacked(packed);
    const plan = planProduction(packed.document, steps, 0, name);
    return { workflow: packed.document, steps, plan };
  } catch (error) {
    if (error instanceof CwlValidationError) throw new CliError(`${workflowFile}: ${error.message}`, 1);
    if (error instanceof ProductionInvalidError) {
      throw new CliError(`${stepsFile ?? workflowFile}: ${error.message}`, 1);
    }
    throw error;
  }
}

export function registerProduction(program: Command): void {
  const production = program
    .command('production')
    .description('productions: a multi-step CWL Workflow, each step a transformation fed by the one before')
    .exitOverride(usageErrors);

  production
    .command('submit')
    .description('submit a Workflow as a production, one transformation per top-level step')
    .argument('<workflow>', 'the CWL Workflow (its steps may run other files; it is packed)')
    .option(
      '--steps-metadata <file>',
      'YAML, per step: tasks or input_query, group_size, output_metadata, type, hints',
    )
    .option('--name <name>', "the production's name (default: the Workflow's label)")
    .option('--idempotency-key <key>', 'resume a submission that failed part-way (the key it printed)')
    .option('--json', 'print the answer as JSON')
    .action(async (workflowFile: string, options, command: Command) => {
      const { workflow, steps, plan } = readProduction(workflowFile, options.stepsMetadata, options.name);
      const key: string = options.idempotencyKey ?? randomUUID();
      const client = connect(command);
      const body = { workflow, steps, ...(options.name ? { name: options.name } : {}) };
      const retry = `Run the same command again with --idempotency-key ${key} to finish it.`;
      let answer: Awaited<ReturnType<typeof client.send>>;
      try {
        answer = await client.send('POST', '/api/productions', body, { 'idempotency-key': key });
      } catch (error) {
        throw new CliError(`${(error as Error).message}\n${retry}`);
      }
      if (answer.status >= 500) throw new CliError(`The submission failed (${answer.status}). ${retry}`);
      if (answer.status !== 201) {
        const detail = answer.body as { detail?: { message?: string } | string };
        const text = typeof detail?.detail === 'string' ? detail.detail : detail?.detail?.message;
        throw new CliError(
          `The production was refused (${answer.status}): ${text ?? JSON.stringify(answer.body)}`,
        );
      }
      const created = answer.body as {
        productionId: string;
        steps: { step: string; transformationId?: number }[];
      };
      if (options.json) {
        out.write(`${toJson(created)}\n`);
        return;
      }
      out.write(`Production ${created.productionId} (${plan.name}) submitted:\n`);
      for (const step of created.steps) {
        const planned = plan.steps.find((s) => s.step === step.step);
        const source = planned?.spec.inputQuery
          ? `files of ${planned.from.join(', ') || 'the catalog'}`
          : `${planned?.spec.tasks} tasks`;
        out.write(`  ${step.step}: transformation ${step.transformationId} (${source})\n`);
      }
      out.write(`Follow it with: muon production status ${created.productionId}\n`);
    });

  production
    .command('status')
    .description('per step: files Unused/Assigned/Processed/Problematic, jobs by status, progress')
    .argument('<id>', 'the production id', productionId)
    .option('--json', 'print the status as JSON')
    .option('--wait', 'refresh until the production is Completed, Stopped or Cleaned')
    .option('--interval <seconds>', 'seconds between refreshes with --wait (at least 1)', '5')
    .action(
      async (id: string, options: { json?: boolean; wait?: boolean; interval: string }, command: Command) => {
        const path = `/api/productions/${id}`;
        const interval = Number(options.interval);
        if (!Number.isFinite(interval) || interval <= 0) {
          throw new CliError(`--interval is a positive number of seconds, not "${options.interval}".`, USAGE);
        }
        const client = connect(command);
        for (;;) {
          const { body } = await client.request<ProductionView>('GET', path);
          const ended = ['Completed', 'Stopped', 'Cleaned'].includes(body.state);
          if (!options.wait || ended) {
            out.write(options.json ? `${toJson(body)}\n` : `${formatProduction(body)}\n`);
            return;
          }
          if (out.isTTY) out.write(`\u001b[H\u001b[2J${formatProduction(body)}\n`);
          await new Promise((resolve) => setTimeout(resolve, Math.max(1, interval) * 1000));
        }
      },
    );

  production
    .command('list')
    .description('your productions, newest first')
    .option('--json', 'print them as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { body } = await connect(command).request<{
        productions: { productionId: string; name: string; createdAt: string; steps: unknown[] }[];
      }>('GET', '/api/productions');
      if (options.json) out.write(`${toJson(body.productions)}\n`);
      else if (body.productions.length === 0) out.write('No productions.\n');
      else {
        for (const p of body.productions)
          out.write(`${p.productionId}\t${p.name}\t${p.steps.length} steps\t${p.createdAt}\n`);
      }
    });

  for (const [action, help] of [
    ['stop', 'stop every step: no new tasks; running jobs finish'],
    ['start', 'start every step again (and create the steps a failed submission left out)'],
    ['clean', "clean every step's transformation (Cleaning, then Cleaned)"],
  ] as const) {
    production
      .command(action)
      .description(help)
      .argument('<id>', 'the production id', productionId)
      .option('--json', 'print the answer as JSON')
      .action(async (id: string, options: { json?: boolean }, command: Command) => {
        const client = connect(command);
        const path = `/api/productions/${id}/${action}`;
        const answer = await client.send('POST', path);
        // When no step could be changed the API answers 409 with the same per-step account as
        // its `detail`: shown as the steps are, not as JSON, and the command fails.
        const body = answer.status < 300 ? answer.body : stepsOf(answer.body);
        if (!isStepsAnswer(body)) throw refusal('POST', path, answer, client.tokenSource);
        if (options.json) out.write(`${toJson(body)}\n`);
        else {
          for (const step of body.steps) {
            const what = step.done ? 'done' : `unchanged: ${step.message}`;
            out.write(`  ${step.step} (transformation ${step.transformationId ?? '-'}): ${what}\n`);
          }
        }
        if (answer.status >= 300)
          throw new CliError(`No step of production ${id} could be told to ${action}.`);
      });
  }
}

interface StepsAnswer {
  productionId: string;
  steps: { step: string; transformationId?: number; done: boolean; message?: string }[];
}

const isStepsAnswer = (body: unknown): body is StepsAnswer =>
  typeof body === 'object' && body !== null && Array.isArray((body as StepsAnswer).steps);

/** The per-step account inside a refusal's `detail`, if it holds one. */
const stepsOf = (body: unknown): unknown =>
  typeof body === 'object' && body !== null ? (body as { detail?: unknown }).detail : undefined;
