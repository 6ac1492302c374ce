/**
 * The production monitor and the job page in a real browser, with a real production running on
 * local pilots (examples/production: generate → process → merge): the production's page shows each
 * step's files and jobs and follows them live, and a job the production ran shows its status
 * history and its heartbeat plots.
 */
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { packCwl } from '#cli/cwl/pack.ts';
import { launchBrowser, openMonitor, screenshot, texts, waitForText } from '#test/browser/support/browser.ts';
import {
  bodyOf,
  quickPilotConfig,
  startTestRuntime,
  type TestRuntime,
} from '#test/integration/support/runtime.ts';

let runtime: TestRuntime;
let browser: Browser;
let productionId: string;

beforeAll(async () => {
  [runtime, browser] = await Promise.all([
    startTestRuntime({
      prefix: 'web-productions',
      config: quickPilotConfig(1),
      scheduleEveryMs: 1000,
      pilots: { idleStopSeconds: 5 },
    }),
    launchBrowser(),
  ]);
  const created = await runtime.api('/api/productions', {
    method: 'POST',
    json: {
      name: 'browser',
      workflow: packCwl('examples/production/production.cwl').document,
      steps: {
        generate: { tasks: 1, output_metadata: { campaign: 'web', datatype: 'RAW' } },
        process: { group_size: 2, output_metadata: { campaign: 'web', datatype: 'PROCESSED' } },
        merge: { group_size: 4, output_metadata: { campaign: 'web', datatype: 'MERGED' } },
      },
    },
  });
  const answer = await bodyOf(created);
  expect(created.status, JSON.stringify(answer)).toBe(201);
  productionId = answer.productionId as string;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
}, 180_000);

/** The number in a step card's definition row `name`. */
const stepCount = (page: import('puppeteer-core').Page, step: string, name: string) =>
  page.$eval(
    `section[data-step="${step}"]`,
    (card, wanted) => {
      const row = [...card.querySelectorAll('tr')].find(
        (tr) => tr.querySelector('th')?.textContent === wanted,
      );
      return Number(row?.querySelector('td')?.textContent ?? Number.NaN);
    },
    name,
  );

describe('Production monitor', () => {
  it("lists the production and follows each step's files and jobs live", async () => {
    const { page, errors } = await openMonitor(browser, runtime.apiUrl, {
      token: runtime.tokens.user,
      hash: '#/productions',
    });
    await waitForText(page, '#production-table', 'browser');
    await screenshot(page, 'productions');
    await page.click(`#production-table a[href="#/productions/${productionId}"]`);
    await page.waitForSelector('section[data-step="merge"]');
    expect(await texts(page, '#production-steps h2')).toEqual([
      expect.stringMatching(/^generate/),
      expect.stringMatching(/^process/),
      expect.stringMatching(/^merge/),
    ]);
    // The production runs on: files reach process and are processed there.
    await vi.waitFor(
      async () => {
        const view = await bodyOf(await runtime.api(`/api/productions/${productionId}`));
        const process = (view.steps as { step: string; files: { Processed: number } }[])[1];
        if (!process || process.files.Processed === 0) throw new Error(JSON.stringify(view.steps));
      },
      // Long: the production runs real cwltool jobs on local pilots, on a machine that may be busy.
      { timeout: 600_000, interval: 2000 },
    );
    // The page, never reloaded, follows it within its refresh period.
    const processed = `[...document.querySelectorAll('section[data-step="process"] tr')].some(
      (tr) => tr.querySelector('th')?.textContent === 'Processed' && Number(tr.querySelector('td')?.textContent) > 0)`;
    await page.waitForFunction(processed, { timeout: 15_000, polling: 500 });
    expect(await stepCount(page, 'generate', 'Processed')).toBeGreaterThanOrEqual(0);
    expect(await stepCount(page, 'process', 'Processed')).toBeGreaterThan(0);
    await waitForText(page, 'section[data-step="generate"] .bars', 'Done', 120_000);
    await screenshot(page, 'production');
    expect(errors).toEqual([]);
    await page.close();
  }, 700_000);

  it('opens a job the production ran, with its status history and heartbeat plots', async () => {
    const { page, errors } = await openMonitor(browser, runtime.apiUrl, {
      token: runtime.tokens.user,
      hash: `#/jobs?status=Done&sort=JobID:asc`,
    });
    await waitForText(page, '#table-status', 'Jobs 1–');
    await screenshot(page, 'jobs');
    const first = await page.$eval('#job-table tbody tr', (row) => row.getAttribute('data-job'));
    await page.click(`#job-table a[href="#/jobs/${first}"]`);
    await waitForText(page, '#job-history', 'Done');
    const history = await texts(page, '#job-history li .status');
    expect(history).toEqual(expect.arrayContaining(['Received', 'Waiting', 'Matched', 'Running', 'Done']));
    await page.waitForSelector('#heartbeat-plots canvas');
    expect(await page.$$eval('#heartbeat-plots .timechart', (plots) => plots.length)).toBe(3);
    await waitForText(page, '#job-downloads', 'Output sandbox');
    // The whole page: the heartbeat plots are below the first screen.
    await screenshot(page, 'job', { fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows the pilots that ran the jobs, by site, CE and status, and a pilot with its jobs', async () => {
    const { page, errors } = await openMonitor(browser, runtime.apiUrl, {
      token: runtime.tokens.user,
      hash: '#/pilots',
    });
    await waitForText(page, '#pilot-status', 'Pilots 1–');
    await waitForText(page, '.bars', 'LOCAL.localhost.local');
    await screenshot(page, 'pilots');
    const reference = await page.$eval('#pilot-table tbody tr a', (link) => link.textContent ?? '');
    await page.click('#pilot-table tbody tr a');
    await page.waitForSelector('#pilot-jobs li a');
    expect(await texts(page, 'h1')).toEqual([expect.stringContaining(reference)]);
    await screenshot(page, 'pilot');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
