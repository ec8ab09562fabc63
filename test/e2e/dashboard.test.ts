/** The oracle's dashboard in a real browser while a graph runs. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable } from '../helpers/browser.js';
import { continuationGraph, oracleFixture, submitGraph } from '../helpers/oracle.js';

const browserCheck = chromiumAvailable();
if (!browserCheck.ok) console.warn(`skipping the dashboard suite: ${browserCheck.reason}`);
const shots = fileURLToPath(new URL('./screenshots/', import.meta.url));
const ox = oracleFixture();
let browser: Browser;

beforeAll(async () => {
  if (browserCheck.ok) browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
afterAll(async () => browser?.close());

describe.skipIf(!browserCheck.ok)('dashboard', () => {
  it('shows provers and a running graph whose op states change live', async () => {
    const o = await ox.oracle({ open: false });
    const token = o.tokens.operatorToken();
    const worker = ox.client(o, { name: 'rig-a', behaviour: 'manual' });
    await worker.connect();
    const { body } = await submitGraph(o, continuationGraph(2), token);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${o.url}/#token=${token}`);
    await page.waitForSelector('tr[data-prover="rig-a"]');
    expect(await page.textContent('tr[data-prover="rig-a"]')).toMatch(/online/);
    await page.waitForSelector(`tr[data-graph="${body.id}"]`);
    // One prover, one slot: a segment is assigned, the aggregation waits for its inputs.
    await page.waitForSelector('g[data-op="agg"][data-status="waiting"]');
    await page.waitForSelector('g[data-status="assigned"]');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'dashboard-running.png'), fullPage: true });
    await worker.prove((await worker.next((m) => m.type === 'assign')) as any);
    // Read by deltas now (the ops changed since the last read), the picture still holds every op.
    await page.waitForSelector('g[data-status="done"]');
    expect(await page.locator('tr[data-op-row]').count()).toBe(3);
    expect(await page.locator('g[data-op]').count()).toBe(3);
    for (let i = 0; i < 2; i++) await worker.prove((await worker.next((m) => m.type === 'assign')) as any);
    await page.waitForSelector('g[data-op="agg"][data-status="done"]', { timeout: 10_000 });
    expect(await page.textContent('#graph-status')).toMatch(/done/);
    expect(await page.textContent('tr[data-op-row="seg0"]')).toMatch(/rig-a/);
    await page.screenshot({ path: join(shots, 'dashboard-done.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('says when the token is missing instead of showing nothing', async () => {
    const o = await ox.oracle({ open: false });
    const page = await browser.newPage();
    await page.goto(`${o.url}/`);
    await page.waitForFunction(() => document.getElementById('error')!.textContent!.includes('401'));
  });
});
