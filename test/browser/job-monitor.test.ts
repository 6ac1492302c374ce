/**
 * The job monitor in a real browser (Chromium) against an embedded runtime: the table shows the
 * user's jobs, filters them by form and by the search language, shows the API's refusal next to
 * the filter, kills a selected job, opens a job's page with its history, and sends an ended
 * session back to the login without losing the filter.
 */
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  openMonitor,
  screenshot,
  signInAs,
  texts,
  waitForText,
} from '#test/browser/support/browser.ts';
import { hasStatus, jobIdsOf, submitJdl, waitForJob } from '#test/integration/support/jobs.ts';
import { startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

let runtime: TestRuntime;
let browser: Browser;
let ids: number[];

beforeAll(async () => {
  [runtime, browser] = await Promise.all([startTestRuntime({ prefix: 'web-jobs' }), launchBrowser()]);
  ids = await jobIdsOf(
    await submitJdl(runtime, [
      'Executable = "echo"; JobName = "alpha"; JobGroup = "first";',
      'Executable = "echo"; JobName = "beta"; JobGroup = "second";',
      'Executable = "echo"; JobName = "beta"; JobGroup = "second";',
    ]),
  );
  for (const id of ids) await waitForJob(runtime, id, hasStatus('Waiting'));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

const rowCount = (page: import('puppeteer-core').Page) =>
  page.$$eval('#job-table tbody tr', (rows) => rows.length);

describe('Job monitor', () => {
  it("serves the monitor at / and lists the signed-in user's jobs", async () => {
    const started = Date.now();
    const { page, errors } = await openMonitor(browser, runtime.apiUrl, {
      token: runtime.tokens.user,
      hash: '#/jobs',
    });
    await waitForText(page, '#table-status', 'of 3');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await rowCount(page)).toBe(3);
    expect(await texts(page, '#job-table thead th')).toEqual(
      expect.arrayContaining(['JobID ▼', 'Status', 'JobName']),
    );
    await waitForText(page, '.bars', 'Waiting');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('filters by the form and by the search language, and keeps the filter in the address', async () => {
    const { page } = await openMonitor(browser, runtime.apiUrl, {
      token: runtime.tokens.user,
      hash: '#/jobs',
    });
    await waitForText(page, '#table-status', 'of 3');
    await page.type('#f-jobGroup', 'second');
    await page.click('#apply');
    await waitForText(page, '#table-status', 'of 2');
    expect(page.url()).toContain('jobGroup=second');

    await page.click('#f-jobGroup', { clickCount: 3 });
    await page.keyboard.press('Backspace');
    await page.type('#f-query', 'JobName eq alpha');
    await page.keyboard.press('Enter');
    await waitForText(page, '#table-status', 'of 1');
    expect(await texts(page, '#job-table tbody td:nth-child(2)')).toEqual([String(ids[0])]);
    await page.close();
  });

  it("shows the API's message next to a filter it refuses", async () => {
    const { page } = await openMonitor(browser, runtime.apiUrl, {
      token: runtime.tokens.user,
      hash: `#/jobs?query=${encodeURIComponent('Colour eq red')}`,
    });
    await page.waitForSelector('#filter-error:not([hidden])');
    const [message] = await texts(page, '#filter-error');
    expect(message).toContain('"Colour"');
    expect(message).toContain('not a job column');
    expect(await page.$eval('#f-query', (input) => input.getAttribute('aria-invalid'))).toBe('true');
    await page.close();
  });

  it('kills a selected job and shows it Killed', async () => {
    const { page } = await openMonitor(browser, runtime.apiUrl, {
      token: runtime.tokens.user,
      hash: '#/jobs',
    });
    await waitForText(page, '#table-status', 'of 3');
    await page.click(`#job-table tr[data-job="${ids[1]}"] input[type=checkbox]`);
    await page.click('#action-kill');
    await waitForText(page, '#action-result', '1 job(s) done');
    await waitForText(page, `#job-table tr[data-job="${ids[1]}"]`, 'Killed');
    expect((await waitForJob(runtime, ids[1] as number, hasStatus('Killed'))).Status).toBe('Killed');
    await page.close();
  });

  it("opens a job's page with its status history", async () => {
    const { page } = await openMonitor(browser, runtime.apiUrl, {
      token: runtime.tokens.user,
      hash: '#/jobs',
    });
    await waitForText(page, '#table-status', 'of 3');
    await page.click(`#job-table a[href="#/jobs/${ids[0]}"]`);
    await waitForText(page, '#job-history', 'Waiting');
    const history = await texts(page, '#job-history li .status');
    expect(history.slice(0, 2)).toEqual(['Received', 'Checking']);
    expect(history).toContain('Waiting');
    await waitForText(page, '#why-message', 'pilot');
    expect(await texts(page, '#job-description')).toEqual([expect.stringContaining('JobName = "alpha"')]);
    await page.close();
  });

  it("logs in through the runtime's OpenID provider (authorization code with PKCE)", async () => {
    const { page, errors } = await openMonitor(browser, runtime.apiUrl, { hash: '#/jobs' });
    await page.waitForSelector('#login:not([disabled])');
    expect(await texts(page, 'main.login p')).toEqual(
      expect.arrayContaining([`Log in with ${runtime.oidc.issuer}`]),
    );
    await screenshot(page, 'login');
    await Promise.all([page.waitForNavigation(), page.click('#login')]);
    expect(page.url().startsWith(`${runtime.oidc.issuer}/interaction/`)).toBe(true);
    await signInAs(page, 'alice');
    await waitForText(page, '#table-status', 'of 3');
    expect(new URL(page.url()).origin).toBe(runtime.apiUrl);
    await waitForText(page, 'header .user', 'alice · user');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('sends an ended session to the provider and comes back to the same filter', async () => {
    const expired = await runtime.authority.sign(
      { vo: 'vo.example.org', username: 'alice', group: 'user', properties: ['NormalUser'] },
      -60,
    );
    const hash = `#/jobs?query=${encodeURIComponent('JobName eq beta')}`;
    const { page, requests } = await openMonitor(browser, runtime.apiUrl, { token: expired, hash });
    // The API refuses the token on each of the page's calls; the page goes to log in again, once.
    await page.waitForFunction(`location.href.startsWith(${JSON.stringify(runtime.oidc.issuer)})`, {
      timeout: 15_000,
    });
    await signInAs(page, 'alice');
    await waitForText(page, '#table-status', 'of 2');
    // One login: several at once raced, and the one the browser followed could lose its pending state.
    const logins = requests.filter(
      (url) => url.startsWith(runtime.oidc.issuer) && url.includes('code_challenge='),
    );
    expect(logins).toHaveLength(1);
    expect(decodeURIComponent(new URL(page.url()).hash)).toBe('#/jobs?query=JobName eq beta');
    expect(await page.$eval('#f-query', (input) => (input as unknown as { value: string }).value)).toBe(
      'JobName eq beta',
    );
    await page.close();
  });

  it('takes a pasted access token when no provider is wanted', async () => {
    const { page } = await openMonitor(browser, runtime.apiUrl, { hash: '#/jobs' });
    await page.waitForSelector('main.login');
    await page.click('details summary');
    await page.type('#token', runtime.tokens.user);
    await page.click('#use-token');
    await waitForText(page, '#table-status', 'of 3');
    await page.close();
  });
});
