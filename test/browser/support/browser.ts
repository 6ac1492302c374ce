/**
 * A real browser for the web monitor's tests: Debian's Chromium (`apt-get install chromium`)
 * driven by puppeteer-core over the DevTools protocol, headless, at 1280x800. Each test file gets
 * one browser; `page()` opens a tab on the runtime's origin, signed in with a token when given one.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

const candidates = [process.env.MUON_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function chromiumPath(): string {
  const found = candidates.find((path): path is string => path !== undefined && existsSync(path));
  if (!found)
    throw new Error(
      "No Chromium: install Debian's (`apt-get install chromium`) or set MUON_CHROMIUM to one.",
    );
  return found;
}

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Root in CI has no user namespace for Chromium's sandbox; /dev/shm may be small in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run'],
    defaultViewport: { width: 1280, height: 800 },
  });
}

export interface MonitorTab {
  readonly page: Page;
  /** Errors the page threw or logged, so a test can fail on a broken script. */
  readonly errors: string[];
  /** Every address the tab asked for, in order (the app's calls, the provider's pages). */
  readonly requests: string[];
}

/**
 * A tab on the monitor, in a fresh browser context (its own cookies and storage). With `token`, the session is put in sessionStorage before the app starts,
 * as a finished login would leave it (until the runtime has an OpenID provider the browser can use).
 */
export async function openMonitor(
  browser: Browser,
  origin: string,
  options: { token?: string; hash?: string } = {},
): Promise<MonitorTab> {
  // A context of its own: no cookie of another test's login at the provider.
  const page = await (await browser.createBrowserContext()).newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('request', (request) => void requests.push(request.url()));
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 40[0-9]/.test(message.text())) errors.push(message.text());
  });
  page.on('dialog', (dialog) => void dialog.accept());
  if (options.token) {
    const session = JSON.stringify({ accessToken: options.token, expiresAt: Date.now() + 3600_000 });
    await page.evaluateOnNewDocument((value) => {
      if (!sessionStorage.getItem('muon.session')) sessionStorage.setItem('muon.session', value);
    }, session);
  }
  await page.goto(`${origin}/${options.hash ?? ''}`, { waitUntil: 'domcontentloaded' });
  return { page, errors, requests };
}

/** The trimmed text of every element matching `selector`. */
export async function texts(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (elements) => elements.map((e) => (e.textContent ?? '').trim()));
}

/** Waits until `selector`'s text contains `text`. */
export async function waitForText(
  page: Page,
  selector: string,
  text: string,
  timeout = 15_000,
): Promise<void> {
  // A string predicate: it runs in the page, whose DOM types this Node project does not load.
  const predicate = `[...document.querySelectorAll(${JSON.stringify(selector)})].some((e) => (e.textContent ?? '').includes(${JSON.stringify(text)}))`;
  await page.waitForFunction(predicate, { timeout });
}

/**
 * With MUON_WEB_SCREENSHOTS set to a folder, saves the page there as `<name>.png` (the pictures of
 * docs/web.md are made so: `MUON_WEB_SCREENSHOTS=docs/web npx vitest run --project browser`).
 */
export async function screenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<void> {
  const folder = process.env.MUON_WEB_SCREENSHOTS;
  if (!folder) return;
  await page.screenshot({
    path: `${folder}/${name}.png` as `${string}.png`,
    fullPage: options.fullPage ?? false,
  });
}

/** On the runtime's OpenID provider's sign-in page: signs in as a development user and waits to be sent back. */
export async function signInAs(page: Page, username: string): Promise<void> {
  await page.waitForSelector('input[name=username]');
  await page.type('input[name=username]', username);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}
