/**
 * A scripted browser for the embedded runtime's OpenID provider (local/oidc-provider.ts): it opens
 * the device flow's verification address, confirms the code, and signs in as a development user,
 * with cookies and the forms' anti-forgery field, as a person at a browser would.
 */

export async function approveDevice(verificationUri: string, username: string): Promise<void> {
  const jar = new Map<string, string>();
  const go = async (url: string, form?: Record<string, string>) => {
    const response = await fetch(url, {
      redirect: 'manual',
      method: form ? 'POST' : 'GET',
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const pair = cookie.split(';')[0] ?? '';
      const at = pair.indexOf('=');
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  };
  /** Follows redirects from `response`, returning the page they end on and its address. */
  const follow = async (response: Response, from: string) => {
    let url = from;
    let current = response;
    while (current.status >= 300 && current.status < 400) {
      url = new URL(current.headers.get('location') ?? '', url).href;
      current = await go(url);
    }
    return { url, page: await current.text(), status: current.status };
  };

  const confirm = await go(verificationUri);
  const page = await confirm.text();
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1];
  const userCode = /name="user_code" value="([^"]+)"/.exec(page)?.[1];
  if (!xsrf || !userCode)
    throw new Error(`no confirmation form at ${verificationUri}: ${page.slice(0, 200)}`);
  const action = new URL('/device', verificationUri).href;
  const signIn = await follow(await go(action, { xsrf, user_code: userCode, confirm: 'yes' }), action);
  const form = /<form method="post" action="([^"]+)"/.exec(signIn.page)?.[1];
  if (!form) throw new Error(`no sign-in form at ${signIn.url}: ${signIn.page.slice(0, 200)}`);
  const post = new URL(form, signIn.url).href;
  const done = await follow(await go(post, { username }), post);
  if (done.status !== 200)
    throw new Error(`sign-in ended with HTTP ${done.status}: ${done.page.slice(0, 200)}`);
}
