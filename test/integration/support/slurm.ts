/**
 * A real single-node Slurm cluster for one test file, confined to a temp directory (docs:
 * shared/reference local-aws.md §7, variant B): munged with its own key and socket, slurmctld and
 * slurmd on free ports, a generated slurm.conf. `stop()` cancels the jobs, stops the daemons and
 * every process they left (found by the cluster's SLURM_CONF in their environment), and removes
 * the directory. Needs root, as the CI machine is, and Debian's packages.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';

export interface TestSlurm {
  readonly dir: string;
  readonly cluster: string;
  /** `process.env` with this cluster's SLURM_CONF: for the Slurm commands and the CE. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Stops slurmctld only: the clients then cannot reach the controller. */
  stopController(): Promise<void>;
  stop(): Promise<void>;
}

const install = 'apt-get install slurm-wlm slurmctld slurmd slurm-client munge';
const programs = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo'];

/** The absolute path of each program, or an error naming the packages to install. */
function findPrograms(): Record<string, string> {
  const path = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/sbin'];
  const found: Record<string, string> = {};
  const missing: string[] = [];
  for (const program of programs) {
    const hit = path.map((dir) => join(dir, program)).find(isExecutable);
    if (hit) found[program] = hit;
    else missing.push(program);
  }
  if (missing.length > 0) {
    throw new Error(
      `Slurm is not installed on this machine (missing ${missing.join(', ')}). Install it: ${install}`,
    );
  }
  return found;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function slurmConf(dir: string, cluster: string, node: string, ports: readonly [number, number]): string {
  const user = userInfo().username;
  return `${[
    `ClusterName=${cluster}`,
    `SlurmctldHost=${node}(127.0.0.1)`,
    `SlurmctldPort=${ports[0]}`,
    `SlurmdPort=${ports[1]}`,
    `SlurmUser=${user}`,
    `SlurmdUser=${user}`,
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${dir}/munge.sock`,
    `StateSaveLocation=${dir}/state`,
    `SlurmdSpoolDir=${dir}/spool`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`,
    `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/log/slurmctld.log`,
    `SlurmdLogFile=${dir}/log/slurmd.log`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'JobCompType=jobcomp/none',
    'MpiDefault=none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'ReturnToService=2',
    // Clients give up on an absent controller after a second or two, not after 10 s.
    'MessageTimeout=2',
    'TCPTimeout=2',
    'KillWait=2',
    // The node offers 8 CPUs whatever the machine has, so test jobs never wait for each other.
    'SlurmdParameters=config_overrides',
    `NodeName=${node} NodeAddr=127.0.0.1 CPUs=8 RealMemory=1000 State=UNKNOWN`,
    'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
  ].join('\n')}\n`;
}

export async function startSlurm(cluster = 'muontest'): Promise<TestSlurm> {
  const bin = findPrograms();
  const dir = mkdtempSync(join(tmpdir(), 'muon-slurm-'));
  for (const sub of ['state', 'spool', 'log']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'munge.key'), randomBytes(1024), { mode: 0o400 });
  const node = hostname().split('.')[0] ?? 'localhost';
  const ports = [await freePort(), await freePort()] as const;
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, slurmConf(dir, cluster, node, ports));
  const env = { ...process.env, SLURM_CONF: conf };
  const daemons = new Map<string, ChildProcess>();

  const start = (name: string, args: readonly string[]) => {
    const log = openSync(join(dir, 'log', `${name}.out`), 'a');
    const child = spawn(bin[name] as string, args, { env, stdio: ['ignore', log, log] });
    child.on('error', () => undefined);
    daemons.set(name, child);
  };
  const stopDaemon = async (name: string) => {
    const child = daemons.get(name);
    daemons.delete(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const slurm = (program: string, args: readonly string[]) =>
    spawnSync(bin[program] as string, args, { env, encoding: 'utf8', timeout: 10_000 });

  const stop = async () => {
    const jobs = slurm('squeue', ['-h', '-o', '%i']).stdout?.split('\n').filter(Boolean) ?? [];
    if (jobs.length > 0) slurm('scancel', ['--quiet', ...jobs]);
    for (const name of ['slurmd', 'slurmctld', 'munged']) await stopDaemon(name);
    killLeftovers(conf);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    start('munged', [
      '--foreground',
      '--force',
      `--socket=${dir}/munge.sock`,
      `--key-file=${dir}/munge.key`,
      `--pid-file=${dir}/munged.pid`,
      `--log-file=${dir}/log/munged.log`,
      `--seed-file=${dir}/munge.seed`,
    ]);
    await waitFor(() => existsSync(join(dir, 'munge.sock')), 5_000, 'munged did not create its socket', dir);
    start('slurmctld', ['-D']);
    start('slurmd', ['-D']);
    await waitFor(
      () => slurm('sinfo', ['-h', '-o', '%t']).stdout?.trim() === 'idle',
      30_000,
      'the Slurm node did not become idle',
      dir,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { dir, cluster, env, stopController: () => stopDaemon('slurmctld'), stop };
}

async function waitFor(ready: () => boolean, timeoutMs: number, what: string, dir: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms.\n${logTails(dir)}`);
    await sleep(100);
  }
}

function logTails(dir: string): string {
  const logs = join(dir, 'log');
  if (!existsSync(logs)) return '';
  return readdirSync(logs)
    .map((file) => {
      const lines = readFileSync(join(logs, file), 'utf8').trimEnd().split('\n').slice(-10);
      return `--- ${file}\n${lines.join('\n')}`;
    })
    .join('\n');
}

/** slurmstepd and job processes outlive slurmd: SIGKILL those that carry this cluster's SLURM_CONF. */
function killLeftovers(conf: string): void {
  if (!existsSync('/proc/self')) return;
  const mark = `SLURM_CONF=${conf}`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
    } catch {
      continue;
    }
    if (environ.split('\0').includes(mark)) {
      try {
        process.kill(Number(entry), 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
}
