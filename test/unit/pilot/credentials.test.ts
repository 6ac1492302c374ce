import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { pilotConnection } from '#cli/commands/pilot.ts';
import { main } from '#cli/main.ts';
import {
  pilotTokenOf,
  readCredentialsFile,
  readCredentialsStream,
  removeCredentialVariables,
} from '#pilot/credentials.ts';
import { readCredentialsSecret, regionOfSecret } from '#pilot/credentials-secret.ts';
import {
  refuseCredentialVariables,
  withoutCredentials,
  writeCredentialsFile,
} from '#shared/ce/credentials.ts';

const scratch = mkdtempSync(join(tmpdir(), 'muon-credentials-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let files = 0;
/** A credentials file with `content` and `mode`, as a launcher would write it (or not). */
const credentialsFile = (content: string, mode = 0o600): string => {
  const path = join(scratch, `credentials-${++files}.json`);
  writeFileSync(path, content, { mode });
  return path;
};

describe('Reading a pilot credentials file', () => {
  it('reads a token, then deletes the file', async () => {
    const path = credentialsFile('{"token": "t0k"}');
    await expect(readCredentialsFile(path)).resolves.toEqual({ token: 't0k' });
    expect(existsSync(path)).toBe(false);
  });

  it("keeps a file it is told to keep (a host's own), after the same checks", async () => {
    const path = credentialsFile('{"token": "t0k"}');
    await expect(readCredentialsFile(path, { keep: true })).resolves.toEqual({ token: 't0k' });
    expect(existsSync(path)).toBe(true);
    const open = credentialsFile('{"token": "t0k"}', 0o644);
    await expect(readCredentialsFile(open, { keep: true })).rejects.toThrow(/open to its group or others/);
  });

  it('reads an OAuth2 client with its optional endpoint, issuer and scope', async () => {
    const client = {
      clientId: 'muon-pilots',
      clientSecret: 's3cret',
      tokenUrl: 'https://idp.example.org/token',
      issuer: 'https://idp.example.org',
      scope: 'pilot',
    };
    await expect(readCredentialsFile(credentialsFile(JSON.stringify(client)))).resolves.toEqual(client);
  });

  it('refuses a file its group or others may read, and leaves it there', async () => {
    const path = credentialsFile('{"token": "t0k"}', 0o640);
    await expect(readCredentialsFile(path)).rejects.toThrow(
      `The credentials file ${path} is open to its group or others (mode 0640): refused; write it with mode 0600.`,
    );
    expect(existsSync(path)).toBe(true);
  });

  it('refuses a file of another uid', async () => {
    const path = credentialsFile('{"token": "t0k"}');
    const other = (process.getuid?.() ?? 0) + 1;
    await expect(readCredentialsFile(path, { uid: other })).rejects.toThrow(
      new RegExp(`belongs to uid \\d+, not to this pilot \\(uid ${other}\\): refused`),
    );
    expect(existsSync(path)).toBe(true);
  });

  it('refuses a symbolic link and a missing file, naming the path', async () => {
    const link = join(scratch, 'link.json');
    symlinkSync(credentialsFile('{"token": "t0k"}'), link);
    await expect(readCredentialsFile(link)).rejects.toThrow(`Cannot open the credentials file ${link}`);
    const missing = join(scratch, 'missing.json');
    await expect(readCredentialsFile(missing)).rejects.toThrow(`Cannot open the credentials file ${missing}`);
  });

  it('says which file is not JSON, and deletes it all the same', async () => {
    const path = credentialsFile('token: t0k');
    await expect(readCredentialsFile(path)).rejects.toThrow(
      new RegExp(`^${path}: the pilot credentials are not JSON`),
    );
    expect(existsSync(path)).toBe(false);
  });

  it.each([
    ['{"clientId": "id"}', 'clientSecret: '],
    ['{"clientId": "id", "clientSecret": ""}', 'clientSecret: '],
    ['{"token": 42}', 'token: '],
    ['{"token": "t", "extra": 1}', 'extra'],
    ['{"clientId": "id", "clientSecret": "s", "tokenUrl": "not a url"}', 'tokenUrl: '],
    ['["t0k"]', 'must be a JSON object'],
    ['{"tokn": "t"}', 'need "token", or "clientId" and "clientSecret"; found tokn'],
  ])('names the field that is wrong in %s', async (content, field) => {
    const path = credentialsFile(content);
    const error = await readCredentialsFile(path).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message.startsWith(`${path}: `)).toBe(true);
    expect((error as Error).message).toContain(field);
  });

  it('reads the same JSON from standard input', async () => {
    await expect(readCredentialsStream(Readable.from(['{"tok', 'en": "t0k"}\n']))).resolves.toEqual({
      token: 't0k',
    });
    await expect(readCredentialsStream(Readable.from(['']))).rejects.toThrow(/^standard input: /);
  });

  it('completes a client from the environment, and refuses the stack’s placeholder', () => {
    const env = { MUON_AUTH_ISSUER: 'https://idp.example.org' };
    expect(pilotTokenOf({ clientId: 'id', clientSecret: 's' }, env, 'f.json')).toEqual({
      clientId: 'id',
      clientSecret: 's',
      issuer: 'https://idp.example.org',
    });
    expect(() => pilotTokenOf({ clientId: 'id', clientSecret: 's' }, {}, 'f.json')).toThrow(
      /^f\.json: with clientId, give tokenUrl or issuer, or set MUON_TOKEN_URL/,
    );
    expect(() => pilotTokenOf({ clientId: 'unset', clientSecret: 's' }, env, 'f.json')).toThrow(
      /still the stack's placeholder/,
    );
  });
});

describe('Writing a pilot credentials file (the launcher)', () => {
  it('writes a 0600 file in a 0700 directory, and the pilot reads it back', async () => {
    const dir = join(scratch, 'launcher', 'credentials');
    const path = await writeCredentialsFile(dir, { token: 't0k' });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await expect(readCredentialsFile(path)).resolves.toEqual({ token: 't0k' });
  });

  it('makes a directory open to others private before writing in it', async () => {
    const dir = join(scratch, 'open');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    await writeCredentialsFile(dir, { token: 'b' });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('never passes credential variables on, and refuses them in a spec’s environment', () => {
    expect(
      withoutCredentials({ PATH: '/bin', MUON_TOKEN: 't', MUON_CLIENT_SECRET: 's', MUON_PILOT_TOKEN: 'p' }),
    ).toEqual({ PATH: '/bin' });
    expect(() => refuseCredentialVariables({ MUON_CLIENT_ID: 'id' }, 'Local CE X/y')).toThrow(
      /^Local CE X\/y: MUON_CLIENT_ID may not be in a pilot's environment/,
    );
    const env: Record<string, string | undefined> = { MUON_TOKEN: 't', MUON_CLIENT_ID: 'i', HOME: '/h' };
    removeCredentialVariables(env);
    expect(env).toEqual({ HOME: '/h' });
  });
});

describe('muon pilot: where its credentials come from', () => {
  const base = { MUON_HOME: join(scratch, 'no-home'), MUON_API_URL: 'http://api.example.org' };

  it('takes a credentials file, deletes it, and drops the credential variables from its environment', async () => {
    const path = credentialsFile('{"token": "from-file"}');
    const env: Record<string, string | undefined> = {
      ...base,
      MUON_TOKEN: 'from-env',
      MUON_CLIENT_SECRET: 's',
    };
    const warnings: string[] = [];
    const connection = await pilotConnection({}, { credentialsFile: path }, env, {
      warn: (line) => warnings.push(line),
    });
    expect(connection).toEqual({ apiUrl: 'http://api.example.org', token: 'from-file' });
    expect(existsSync(path)).toBe(false);
    expect(env.MUON_TOKEN).toBeUndefined();
    expect(env.MUON_CLIENT_SECRET).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('takes them from standard input', async () => {
    const connection = await pilotConnection(
      {},
      { credentialsStdin: true },
      { ...base },
      {
        stdin: Readable.from(['{"token": "from-stdin"}']),
      },
    );
    expect(connection.token).toBe('from-stdin');
  });

  it('still takes --token and MUON_TOKEN, with a one-line warning', async () => {
    const warnings: string[] = [];
    const warn = (line: string) => warnings.push(line);
    expect((await pilotConnection({ token: 'flag' }, {}, { ...base }, { warn })).token).toBe('flag');
    expect((await pilotConnection({}, {}, { ...base, MUON_TOKEN: 'env' }, { warn })).token).toBe('env');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /--token can be read by the pilot's payloads .*cmdline.*use --credentials-file/,
    );
    expect(warnings[1]).toMatch(
      /MUON_TOKEN can be read by the pilot's payloads .*environ.*use --credentials-file/,
    );
  });

  it('refuses two sources at once', async () => {
    const path = credentialsFile('{"token": "t"}');
    await expect(
      pilotConnection({}, { credentialsFile: path, credentialsStdin: true }, { ...base }),
    ).rejects.toThrow(/not both/);
    await expect(pilotConnection({ token: 'x' }, { credentialsFile: path }, { ...base })).rejects.toThrow(
      /not both/,
    );
  });
});

describe('muon pilot: usage errors', () => {
  it('leave the credentials file unread, for the pilot started right', async () => {
    const path = credentialsFile('{"token": "t"}');
    const argv = ['node', 'muon', '--api-url', 'http://api.example.org', 'pilot', '--push', 'slurm'];
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await main([...argv, '--cores', '2', '--credentials-file', path])).toBe(2);
      expect(await main([...argv.slice(0, -1), 'pbs', '--credentials-file', path])).toBe(2);
    } finally {
      errors.mockRestore();
    }
    expect(existsSync(path)).toBe(true);
  });
});

describe('The AWS Batch pilot credentials secret', () => {
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:muon-pilot-credentials-AbCdEf';
  const secretClient = (secret: string) => ({ send: async () => ({ SecretString: secret }) }) as never;
  const env = { MUON_AUTH_ISSUER: 'https://idp.example.org' };

  it('reads the client from the secret, the issuer from the environment', async () => {
    expect(regionOfSecret(arn)).toBe('eu-west-1');
    await expect(
      readCredentialsSecret(arn, secretClient('{"client_id": "id", "client_secret": "s"}'), env),
    ).resolves.toEqual({ clientId: 'id', clientSecret: 's', issuer: 'https://idp.example.org' });
  });

  it('refuses the stack’s placeholder, saying where to put the real client', async () => {
    await expect(
      readCredentialsSecret(arn, secretClient('{"client_id": "unset", "client_secret": "generated"}'), env),
    ).rejects.toThrow(
      /still holds the stack's placeholder client_id "unset": put your identity provider's client_id/,
    );
  });

  it('names what is missing, and a secret it cannot read', async () => {
    await expect(readCredentialsSecret(arn, secretClient('{"client_id": "id"}'), env)).rejects.toThrow(
      /client_secret: /,
    );
    const refusing = { send: async () => Promise.reject(new Error('AccessDeniedException')) } as never;
    await expect(readCredentialsSecret(arn, refusing, env)).rejects.toThrow(
      /Cannot read the pilot credentials secret .* \(MUON_PILOT_CREDENTIALS_SECRET_ARN\): AccessDeniedException/,
    );
  });
});
