/**
 * `muon` run as a user runs it: `node bin/muon.mjs` in a child process with the environment given,
 * its exit code and output collected; and `muon login` through the device flow at the embedded
 * OpenID provider, approved by the scripted browser as soon as it prints the address.
 */
import { execFile, spawn } from 'node:child_process';
import { approveDevice } from '#test/integration/support/oidc-browser.ts';

export interface MuonRun {
  code: number;
  stdout: string;
  stderr: string;
}

type Env = NodeJS.ProcessEnv;

export function runMuon(args: readonly string[], env: Env): Promise<MuonRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/muon.mjs', ...args], { env }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** `muon login <args>`, approved as `username` once it prints the verification address. */
export async function loginWithDevice(username: string, args: readonly string[], env: Env): Promise<MuonRun> {
  const child = spawn(process.execPath, ['bin/muon.mjs', 'login', ...args], { env });
  let stdout = '';
  let stderr = '';
  let approving: Promise<void> | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    const address = /open (http\S+user_code=\S+)/.exec(stderr)?.[1];
    if (address && !approving) approving = approveDevice(address, username);
  });
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  await approving;
  return { code, stdout, stderr };
}
