/**
 * A job's owner chooses its OutputPath and OutputData, so writing "for a job" must not reach further
 * than its owner may: alice's job that names bob's directory (or the whole VO) as where its outputs
 * go writes nothing there, neither with her own token and the JobID nor with the job's payload
 * token, nor sets directory metadata above every file (the VO's root); it still writes under alice's
 * directory. Nor
 * does bob's job write in the outputs directory of alice's transformation (`/<vo>/prod/<id>`), where
 * it could replace her production's files or plant inputs for its next step.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobKey } from '#shared/jobs/store/keys.ts';
import { bearer, type HeldJob, submitAndWait, takeJob } from '#test/integration/support/identities.ts';
import { registerPilot } from '#test/integration/support/pilots.ts';
import {
  asOtherUser,
  bodyOf,
  startTestRuntime,
  type TestRuntime,
} from '#test/integration/support/runtime.ts';
import { concatTool, submitTransformation } from '#test/integration/support/transformations.ts';

const vo = 'vo.example.org';
const bobHome = `/${vo}/user/b/bob`;
const aliceHome = `/${vo}/user/a/alice`;

describe("Writing data for a job stays out of other users' directories", () => {
  let runtime: TestRuntime;
  /** alice's jobs: OutputPath bob's home; OutputData an LFN of bob's; OutputPath the whole VO. */
  let jobs: HeldJob[];

  type Init = Parameters<TestRuntime['api']>[1];
  const upload = (lfn: string, jobId: number, init: Init = {}) =>
    runtime.api('/api/data/upload', {
      method: 'POST',
      json: { LFN: lfn, SE: 'LOCAL-DISK', Size: 1, JobID: jobId },
      ...init,
    });
  const asPayload = (held: HeldJob) => ({ as: 'none' as const, headers: bearer(held.payloadToken) });

  /** The outputs each of alice's jobs asks for; submission refuses them now, so they are written in. */
  const outputs = [
    { outputPath: bobHome, outputData: [] },
    { outputData: [`LFN:${bobHome}/precious.dat`] },
    { outputPath: `/${vo}`, outputData: [] },
  ];

  beforeAll(async () => {
    runtime = await startTestRuntime();
    const pilot = await registerPilot(runtime);
    const ids = await submitAndWait(runtime, [
      'Executable = "echo";',
      'Executable = "echo";',
      'Executable = "echo";',
    ]);
    // As jobs stored before submission checked where outputs go: the data manager must hold anyway.
    await Promise.all(ids.map((id, i) => setOutputs(id, outputs[i] ?? {})));
    jobs = await Promise.all(ids.map((id) => takeJob(runtime, pilot, id)));
  });

  async function setOutputs(jobId: number, fields: { outputPath?: string; outputData?: string[] }) {
    const entries = Object.entries(fields);
    await runtime.aws.dynamo.send(
      new UpdateCommand({
        TableName: runtime.resources.tables.jobs as string,
        Key: jobKey(jobId),
        UpdateExpression: `SET ${entries.map((_, i) => `description.#f${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(entries.map(([field], i) => [`#f${i}`, field])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])),
      }),
    );
  }

  it("refuses at submission outputs in another user's directory, above every user's or in another VO, naming each", async () => {
    const response = await runtime.api('/api/jobs/jdl', {
      method: 'POST',
      json: [
        `Executable = "echo"; OutputPath = "${bobHome}";`,
        `Executable = "echo"; OutputData = {"LFN:${bobHome}/precious.dat"};`,
        `Executable = "echo"; OutputPath = "/${vo}";`,
        'Executable = "echo"; OutputPath = "/vo.other.org/user/a/alice";',
      ],
    });
    expect(response.status).toBe(400);
    const { detail } = await bodyOf(response);
    expect(detail).toMatch(
      /jdl\[0\]: output \/vo\.example\.org\/user\/b\/bob is in another user's directory/,
    );
    expect(detail).toMatch(
      /jdl\[1\]: output \/vo\.example\.org\/user\/b\/bob\/precious\.dat is in another user's/,
    );
    expect(detail).toMatch(
      /jdl\[2\]: output \/vo\.example\.org is above every user's or production's directory/,
    );
    expect(detail).toMatch(/jdl\[3\]: output \/vo\.other\.org\/user\/a\/alice is not in \/vo\.example\.org/);
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it("refuses alice, with her own token and her job's id, a file in bob's directory", async () => {
    for (const [job, lfn] of [
      [jobs[0], `${bobHome}/precious.dat`],
      [jobs[1], `${bobHome}/precious.dat`],
      [jobs[2], `${bobHome}/precious.dat`],
    ] as const) {
      const response = await upload(lfn, job?.jobId ?? 0);
      expect(response.status, `job ${job?.jobId}`).toBe(403);
      // bob's home as OutputPath or OutputData: refused as his; the VO's root is no root at all.
      expect((await bodyOf(response)).detail).toMatch(
        job === jobs[2]
          ? /may write only under \/vo.example.org\/user\/a\/alice;/
          : /another user's directory/,
      );
    }
  });

  it("refuses the job's payload token bob's directory, and the users' root", async () => {
    const [toBob, toBobFile, toVo] = jobs as [HeldJob, HeldJob, HeldJob];
    expect((await upload(`${bobHome}/x`, toBob.jobId, asPayload(toBob))).status).toBe(403);
    expect((await upload(`${bobHome}/precious.dat`, toBobFile.jobId, asPayload(toBobFile))).status).toBe(403);
    expect((await upload(`/${vo}/user/b/bob/deep/x`, toVo.jobId, asPayload(toVo))).status).toBe(403);
    expect((await upload(`/${vo}/user/x`, toVo.jobId, asPayload(toVo))).status).toBe(403);
  });

  it("refuses metadata on bob's directory through a job", async () => {
    const response = await runtime.api('/api/data/metadata', {
      method: 'POST',
      json: { Path: bobHome, Metadata: { owner: 'alice' }, JobID: jobs[0]?.jobId },
    });
    expect(response.status).toBe(403);
  });

  it("still writes under the owner's directory, and nowhere else for an OutputPath of /<vo>", async () => {
    const toVo = jobs[2] as HeldJob;
    expect((await upload(`${aliceHome}/out.txt`, toVo.jobId, asPayload(toVo))).status).toBe(200);
    // The VO's root is no root of the job's outputs: what is written there reaches every file.
    expect((await upload(`/${vo}/data/run1/out.txt`, toVo.jobId, asPayload(toVo))).status).toBe(403);
    expect((await upload(`${aliceHome}/out.txt`, toVo.jobId)).status).toBe(200);
  });

  it('leaves bob his own directory', async () => {
    const bob = await asOtherUser(runtime, 'bob');
    const response = await runtime.api('/api/data/upload', {
      method: 'POST',
      json: { LFN: `${bobHome}/precious.dat`, SE: 'LOCAL-DISK', Size: 1 },
      ...bob,
    });
    expect(response.status).toBe(200);
  });

  it("refuses bob's job alice's transformation outputs, and /<vo>/prod paths of no transformation", async () => {
    const transformationId = await submitTransformation(runtime, {
      name: 'alice prod',
      cwl: concatTool,
      inputQuery: [{ key: 'dataset', op: '=', values: ['none-yet'] }],
      groupSize: 1,
    });
    const prod = `/${vo}/prod`;
    const bob = await asOtherUser(runtime, 'bob');
    const submitted = await runtime.api('/api/jobs/jdl', {
      method: 'POST',
      json: [
        `Executable = "echo"; OutputPath = "${prod}/${transformationId}"; OutputData = {"LFN:${prod}/999999/1/out.txt", "LFN:${prod}/x/out.txt"};`,
      ],
      ...bob,
    });
    const [{ JobID: bobsJob }] = (await submitted.json()) as [{ JobID: number }];
    const intoAlices = await upload(`${prod}/${transformationId}/1/out.txt`, bobsJob, bob);
    expect(intoAlices.status).toBe(403);
    expect((await bodyOf(intoAlices)).detail).toMatch(/only its owner's jobs write/);
    for (const lfn of [`${prod}/999999/1/out.txt`, `${prod}/x/out.txt`]) {
      const response = await upload(lfn, bobsJob, bob);
      expect(response.status, lfn).toBe(403);
      expect((await bodyOf(response)).detail).toMatch(/only its owner's jobs write/);
    }
    // alice's own job (the owner's, as her transformation's tasks are) writes there.
    const hers = await runtime.api('/api/jobs/jdl', {
      method: 'POST',
      json: [`Executable = "echo"; OutputPath = "${prod}/${transformationId}";`],
    });
    const [{ JobID: alicesJob }] = (await hers.json()) as [{ JobID: number }];
    const own = await upload(`${prod}/${transformationId}/1/out.txt`, alicesJob);
    expect(own.status, JSON.stringify(await bodyOf(own))).toBe(200);
  });

  it('refuses directory metadata on the VO root through a job whose OutputPath is the VO', async () => {
    const toVo = jobs[2] as HeldJob;
    for (const path of [`/${vo}`, `/${vo}/user`, `/${vo}/prod`]) {
      const response = await runtime.api('/api/data/metadata', {
        method: 'POST',
        json: { Path: path, Metadata: { poisoned: 'yes' }, JobID: toVo.jobId },
      });
      expect(response.status, path).toBe(403);
    }
    const inherited = await bodyOf(
      await runtime.api(`/api/data/metadata?path=${encodeURIComponent(`${aliceHome}/out.txt`)}`),
    );
    expect(JSON.stringify(inherited)).not.toMatch(/poisoned/);
  });
});
