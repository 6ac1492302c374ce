/**
 * `muon job output <id>` (DIRAC's dirac-wms-job-get-output): the job's output sandboxes unpacked
 * into a directory, with `cwl.output.json` pointing at the local files.
 */
import { relative, resolve } from 'node:path';
import type { ApiClient } from '#cli/client.ts';
import { type Output, toJson } from '#cli/format.ts';
import { downloadJobOutputs } from '#cli/outputs.ts';

export interface OutputOptions {
  dir?: string;
  data?: boolean;
  json?: boolean;
}

export async function fetchJobOutput(client: ApiClient, jobId: number, options: OutputOptions, out: Output) {
  const dir = resolve(options.dir ?? `job-${jobId}`);
  const result = await downloadJobOutputs(client, jobId, { dir, data: options.data ?? false });
  if (options.json) {
    out.write(`${toJson(result)}\n`);
    return;
  }
  const lines = [`Job ${jobId}: outputs in ${result.dir}`];
  for (const path of result.unpacked) lines.push(`  unpacked    ${path}`);
  for (const { lfn, path } of result.data) lines.push(`  downloaded  ${relative(result.dir, path)} (${lfn})`);
  if (result.outputObject) lines.push(`  wrote       ${relative(result.dir, result.outputObject)}`);
  out.write(`${lines.join('\n')}\n`);
}
