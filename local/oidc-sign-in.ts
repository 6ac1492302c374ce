/**
 * The sign-in pages of the embedded runtime's OpenID provider (local/oidc-provider.ts): a form
 * asking for a development user's name, and the consent a development provider grants at once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { DevelopmentUser } from '#local/oidc-provider.ts';
import { readBody } from '#local/request-body.ts';

/**
 * The interactions: a login prompt shows a form asking for the user name (GET) and signs that user
 * in (POST); a consent prompt is granted at once with what the client asked, as a development
 * provider has no consent to ask for.
 */
export async function signIn(
  provider: Provider,
  users: Readonly<Record<string, DevelopmentUser>>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'consent') {
    const accountId = details.session?.accountId ?? '';
    const grant = details.grantId
      ? ((await provider.Grant.find(details.grantId)) as InstanceType<Provider['Grant']>)
      : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method === 'GET') {
    const names = Object.keys(users).join(', ');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!DOCTYPE html><html><head><title>muon: sign in</title></head><body>
<h1>muon development sign-in</h1><p>Users: ${escapeHtml(names)}</p>
<form method="post" action="/interaction/${escapeHtml(details.uid)}">
<input type="text" name="username" autofocus/><button type="submit">Sign in</button></form></body></html>`);
    return;
  }
  const body = await readBody(req, 65_536);
  if (body === undefined) throw new Error('the form is too large');
  const form = new URLSearchParams(body.toString('utf8'));
  const username = form.get('username') ?? '';
  if (!users[username]) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`No development user "${username}"; the users are ${Object.keys(users).join(', ')}.\n`);
    return;
  }
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: username } },
    { mergeWithLastSubmission: false },
  );
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
