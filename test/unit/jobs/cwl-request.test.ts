import { describe, expect, it } from 'vitest';
import { cwlSubmission } from '#shared/jobs/submission/cwl-request.ts';

const sandbox = 'SB:SandboxSE|/S3/muon/sandboxes/vo.example.org/user/alice/sha256:abc.tar.gz';

const tool = {
  cwlVersion: 'v1.2',
  class: 'CommandLineTool',
  baseCommand: 'cat',
  inputs: { dir: { type: 'Directory' } },
  outputs: {},
};

describe('A CWL submission’s input sandbox', () => {
  it('holds the sandbox of a file named only inside a Directory literal’s listing', () => {
    const input = {
      dir: {
        class: 'Directory',
        basename: 'a_directory',
        listing: [{ class: 'File', location: `${sandbox}#hello.txt` }],
      },
    };
    const [draft] = cwlSubmission({ workflow: tool, inputs: [input] }, undefined).drafts;
    expect(draft?.description.inputSandbox).toEqual([sandbox]);
  });
});
