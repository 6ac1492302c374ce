/**
 * The muon web monitor (DIRAC's WebAppDIRAC: Job Monitor, Pilot Monitor, Production Monitor):
 * one page whose address hash says what it shows (`#/jobs?status=Waiting`, `#/jobs/12`,
 * `#/pilots`, `#/productions/3`), so a link, a reload or a login round trip lands on the same view.
 */
import './style.css';
import { api, whenUnauthorized } from './api.ts';
import {
  completeLogin,
  currentSession,
  discover,
  forgetSession,
  logout,
  sessionFromToken,
  startLogin,
  storeSession,
  webConfig,
} from './auth.ts';
import { errorBox, h, replaceChildren } from './dom.ts';
import type { Dispose, Page } from './page.ts';
import { renderJob } from './pages/job.ts';
import { renderJobs } from './pages/jobs.ts';
import { renderPilot, renderPilots } from './pages/pilots.ts';
import { renderProduction, renderProductions } from './pages/productions.ts';

const app = document.getElementById('app') as HTMLElement;
let dispose: Dispose | undefined;

interface Route {
  readonly pattern: RegExp;
  readonly section: 'jobs' | 'pilots' | 'productions';
  readonly page: Page;
}

const routes: Route[] = [
  { pattern: /^\/jobs\/(\d+)$/, section: 'jobs', page: renderJob },
  { pattern: /^\/jobs$/, section: 'jobs', page: renderJobs },
  { pattern: /^\/pilots\/(.+)$/, section: 'pilots', page: renderPilot },
  { pattern: /^\/pilots$/, section: 'pilots', page: renderPilots },
  { pattern: /^\/productions\/(\d+)$/, section: 'productions', page: renderProduction },
  { pattern: /^\/productions$/, section: 'productions', page: renderProductions },
];

function route(): void {
  dispose?.();
  dispose = undefined;
  if (!currentSession()) {
    renderLogin();
    return;
  }
  const [path = '', query = ''] = location.hash.replace(/^#/, '').split('?');
  const found = routes.map((r) => ({ r, match: r.pattern.exec(path) })).find(({ match }) => match);
  if (!found) {
    location.replace('#/jobs');
    return;
  }
  const main = h('main', { id: 'content', tabindex: -1 });
  replaceChildren(app, header(found.r.section), main);
  dispose = found.r.page(
    main,
    new URLSearchParams(query),
    found.match?.[1] ? decodeURIComponent(found.match[1]) : undefined,
  );
}

function header(section: string): HTMLElement {
  const link = (name: string, label: string, key: string) =>
    h(
      'a',
      { href: `#/${name}`, 'aria-current': section === name ? 'page' : undefined, accesskey: key },
      label,
    );
  const user = h('span', { class: 'user' });
  api<{ preferred_username: string; dirac_group: string; vo: string }>('/api/auth/userinfo').then(
    ({ body }) => replaceChildren(user, `${body.preferred_username} · ${body.dirac_group} · ${body.vo}`),
    () => undefined,
  );
  return h(
    'header',
    {},
    h('a', { class: 'skip', href: '#content', onclick: skipToContent }, 'Skip to content'),
    h('strong', { class: 'brand' }, 'muon'),
    h(
      'nav',
      { 'aria-label': 'Monitors' },
      link('jobs', 'Jobs', 'j'),
      link('pilots', 'Pilots', 'p'),
      link('productions', 'Productions', 'r'),
    ),
    user,
    h('button', { type: 'button', class: 'link', onclick: () => void logout() }, 'Log out'),
  );
}

function skipToContent(event: Event): void {
  event.preventDefault();
  document.getElementById('content')?.focus();
}

/** The login page: the provider's login, or (for development and operators) an access token pasted in. */
function renderLogin(message?: string): void {
  const status = h('p', { class: 'muted' }, 'Looking for the identity provider…');
  const tokenInput = h('textarea', { id: 'token', rows: 4, placeholder: 'eyJhbGciOi…', spellcheck: 'false' });
  const tokenError = h('p', { class: 'error', role: 'alert', hidden: true });
  const useToken = (event: Event) => {
    event.preventDefault();
    try {
      storeSession(sessionFromToken(tokenInput.value.trim()));
      route();
    } catch (error) {
      tokenError.hidden = false;
      tokenError.textContent = (error as Error).message;
    }
  };
  const loginButton = h(
    'button',
    { type: 'button', class: 'primary', id: 'login', disabled: true, onclick: () => void begin() },
    'Log in',
  );
  const begin = () =>
    startLogin(location.hash).catch((error: Error) => {
      replaceChildren(status, errorBox(error.message));
    });
  replaceChildren(
    app,
    h(
      'main',
      { class: 'login' },
      h('h1', {}, 'muon monitor'),
      message ? errorBox(message) : null,
      status,
      loginButton,
      h(
        'details',
        {},
        h('summary', {}, 'Use an access token'),
        h(
          'form',
          { onsubmit: useToken },
          h('label', { for: 'token' }, 'Access token (for example one `npm start` printed)'),
          tokenInput,
          tokenError,
          h('button', { type: 'submit', id: 'use-token' }, 'Use this token'),
        ),
      ),
    ),
  );
  webConfig()
    .then(async (config) => {
      await discover(config);
      replaceChildren(status, `Log in with ${config.issuer}`);
      loginButton.disabled = false;
      loginButton.focus();
    })
    .catch((error: Error) =>
      replaceChildren(status, errorBox(`${error.message} Use an access token below.`)),
    );
}

// A session that ends while the user works: log in again and come back to the same hash (the filter).
whenUnauthorized(() => {
  forgetSession();
  dispose?.();
  dispose = undefined;
  webConfig()
    .then(discover)
    .then(
      () => startLogin(location.hash),
      () => renderLogin('Your session has ended; log in again.'),
    )
    .catch(() => renderLogin('Your session has ended; log in again.'));
});

window.addEventListener('hashchange', route);
completeLogin().then(
  () => route(),
  (error: Error) => renderLogin(error.message),
);
