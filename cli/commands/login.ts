/**
 * `muon login`, `muon logout`, `muon whoami`: a person's tokens, as DiracX's `dirac login`,
 * `dirac logout` and `dirac whoami`. Login asks the API where to sign in (`GET /api/auth/client`),
 * signs in there (device flow, or PKCE where the provider has no device endpoint) and caches the
 * tokens for that API (cli/credentials.ts). `MUON_TOKEN` and `--token` still win over the cache.
 */
import type { Command } from 'commander';
import { flagOptions, reach, resolveApiUrl, resolveClient } from '#cli/client.ts';
import { readLogin, removeLogin, writeLogin } from '#cli/credentials.ts';
import { type Flow, type LoginClient, login, revokeLogin } from '#cli/credentials-oidc.ts';
import { CliError, USAGE } from '#cli/errors.ts';

interface LoginFlags {
  group?: string;
  flow?: Flow;
  port?: string;
}

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description("log in at the API's identity provider and keep the tokens for this API")
    .option(
      '--group <group>',
      'the DIRAC group to act in (scope group:<group>); default the VO default group',
    )
    .option('--flow <flow>', 'device (default when the provider offers it) or pkce (browser on this machine)')
    .option(
      '--port <port>',
      'loopback port of the pkce redirect http://127.0.0.1:<port>/callback (Cognito: 8400); default any free port',
    )
    .action(async (flags: LoginFlags, command: Command) => {
      if (flags.flow !== undefined && flags.flow !== 'device' && flags.flow !== 'pkce') {
        throw new CliError(`--flow must be device or pkce, not "${flags.flow}".`, USAGE);
      }
      const port = flags.port === undefined ? undefined : Number(flags.port);
      if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
        throw new CliError(`--port must be a port number from 1 to 65535, not "${flags.port}".`, USAGE);
      }
      const apiUrl = resolveApiUrl(flagOptions(command));
      const client = await loginClient(apiUrl);
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      try {
        const stored = await login({
          client,
          apiUrl,
          ...(flags.flow ? { flow: flags.flow } : {}),
          ...(flags.group ? { group: flags.group } : {}),
          ...(port !== undefined ? { port } : {}),
          prompt: (text) => console.error(text),
          signal: controller.signal,
        });
        const file = writeLogin(stored);
        const who = stored.username
          ? ` as ${stored.username}${stored.group ? ` (group ${stored.group})` : ''}`
          : '';
        console.log(`Logged in to ${apiUrl}${who}; tokens kept in ${file}.`);
        if (process.env.MUON_TOKEN)
          console.error('muon: note: MUON_TOKEN is set and still wins over this login.');
      } finally {
        process.off('SIGINT', stop);
      }
    });

  program
    .command('logout')
    .description('forget (and revoke) the tokens kept for this API')
    .action(async (_flags: unknown, command: Command) => {
      const apiUrl = resolveApiUrl(flagOptions(command));
      const stored = readLogin(apiUrl);
      if (stored) {
        // Revocation is a courtesy to the provider; the tokens are forgotten whatever it answers.
        await revokeLogin(stored).catch((error: unknown) =>
          console.error(
            `muon: the refresh token was not revoked at ${stored.issuer}: ${(error as Error).message}`,
          ),
        );
      }
      console.log(removeLogin(apiUrl) ? `Logged out of ${apiUrl}.` : `Not logged in to ${apiUrl}.`);
    });

  program
    .command('whoami')
    .description('who the API says you are, and where the token came from')
    .option('--json', 'print the answer as JSON')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const client = resolveClient(flagOptions(command));
      const { body } = await client.request<Record<string, unknown>>('GET', '/api/auth/userinfo');
      if (flags.json) {
        console.log(JSON.stringify({ ...body, token_source: client.tokenSource }, null, 2));
        return;
      }
      const properties = Array.isArray(body.dirac_properties) ? body.dirac_properties.join(', ') : '';
      console.log(`user:       ${String(body.preferred_username)} (${String(body.sub)})
vo:         ${String(body.vo)}
group:      ${String(body.dirac_group)}
properties: ${properties}
token:      ${client.tokenSource}`);
    });
}

/** Where the API says to log in. */
async function loginClient(apiUrl: string): Promise<LoginClient> {
  const url = new URL('/api/auth/client', apiUrl);
  const response = await reach(apiUrl, url);
  if (!response.ok) {
    throw new CliError(
      `GET ${url.pathname} failed (${response.status}): this API does not say where to log in.`,
    );
  }
  return (await response.json()) as LoginClient;
}
