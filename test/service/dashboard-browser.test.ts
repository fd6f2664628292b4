// The dashboard in a real browser: Debian's chromium, driven by playwright-core (which downloads
// nothing). A storm of jobs through the service, then the team's page: its figures equal the
// ledger's, a job submitted afterwards appears without a reload, another team's job never does,
// and a screenshot is kept under test-artifacts/.
import { mkdirSync, mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../helpers/service.js';
import { job, SERVICE_POLICIES } from './policies.js';

const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
if (!present && process.env.CI) throw new Error(`${CHROMIUM} is missing in CI: .ci/run installs it (apt-get install chromium)`);
if (!present) console.warn(`dashboard-browser: skipped, ${CHROMIUM} is not installed (apt-get install chromium); in CI it runs`);

const ARTIFACTS = join(process.cwd(), 'test-artifacts');

describe.skipIf(!present)('the dashboard in chromium', () => {
  let s: TestService;
  let context: BrowserContext;
  let profile: string;
  beforeAll(async () => {
    s = await startService({ policies: SERVICE_POLICIES, kling: { latencyMs: 20 } });
    profile = mkdtempSync(join(tmpdir(), 'vidgate-chromium-'));
    // A fresh profile (--user-data-dir) each run, which playwright takes as the persistent context's directory.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
  });
  afterAll(async () => {
    await context?.close();
    await s?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('shows the ledger\'s figures, a new job live, and nothing of another team', async () => {
    // The storm: studio-a over its projects, and one job of another team.
    const projects = ['trailer', 'listing', 'tight'];
    const jobs = Array.from({ length: 24 }, (_, i) => job(`storm-${i}`, { project: projects[i % 3], resolution: i % 2 ? '1080p' : '720p' }));
    expect((await s.call('/v1/jobs', { body: { jobs } })).status).toBe(202);
    expect((await s.call('/v1/jobs', { key: s.key.submitB, body: job('secret-of-other', { team: 'other' }) })).status).toBe(202);
    await Promise.all([...jobs.map((j) => s.pipeline.client.handle('studio-a', j.id).result().catch(() => undefined)), s.pipeline.client.handle('other', 'secret-of-other').result().catch(() => undefined)]);

    // Nothing may leave for another host.
    const outside: string[] = [];
    context.on('request', (r) => {
      if (!r.url().startsWith(s.url)) outside.push(r.url());
    });
    const page = await context.newPage();
    await page.goto(`${s.url}/dashboard/login`);
    await page.fill('input[name=key]', s.key.submitA);
    await page.click('button');
    await page.waitForURL(`${s.url}/dashboard/teams/studio-a`, { waitUntil: 'commit' }).catch(async (err) => {
      throw new Error(`${String(err)} at ${page.url()}: ${(await page.content()).slice(0, 2000)}`);
    });
    // The page's script never holds the key: the cookie is HttpOnly.
    expect(await page.evaluate(() => document.cookie)).toBe('');

    // Every scope's figures equal the ledger's (waiting for the live stream's first update).
    await page.waitForFunction(() => /live ·/.test(document.getElementById('live-state')?.textContent ?? ''));
    const views = await s.ledger.getBudgets('studio-a', ['trailer', 'listing', 'tight', 'cancel']);
    for (const v of views) {
      if (!v) continue;
      const row = page.locator(`tr[data-scope="${v.project === undefined ? 'team:studio-a' : `project:${v.project}`}"]`);
      expect(await row.locator('td[data-k=limit]').textContent()).toBe(v.limit);
      expect(await row.locator('td[data-k=spent]').textContent()).toBe(v.spent);
      expect(await row.locator('td[data-k=held]').textContent()).toBe(v.reserved);
      expect(await row.locator('td[data-k=available]').textContent()).toBe(v.available);
    }
    expect(await page.locator('tr[data-job]').count()).toBe(24);
    expect(await page.locator('tr[data-job="storm-0"] td[data-k=state]').textContent()).toMatch(/completed|rejected/);

    // A new job appears without a reload.
    const marker = await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    expect((await s.call('/v1/jobs', { body: job('arrives-live') })).status).toBe(202);
    await page.locator('tr[data-job="arrives-live"]').waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(marker);

    // The filters apply to live rows.
    await page.selectOption('select[name=project]', 'tight');
    expect(await page.locator('tr[data-job]').count()).toBe(8);
    await page.selectOption('select[name=project]', '');

    // Another team's data never appears, nor may its page be opened.
    expect(await page.content()).not.toContain('secret-of-other');
    const other = await page.goto(`${s.url}/dashboard/teams/other`);
    expect(other?.status()).toBe(404);
    await page.goto(`${s.url}/dashboard/teams/studio-a`);
    await page.waitForFunction(() => /live ·/.test(document.getElementById('live-state')?.textContent ?? ''));
    expect(await page.content()).not.toContain('secret-of-other');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    const small = await context.newPage();
    await small.setViewportSize({ width: 390, height: 844 });
    await small.goto(`${s.url}/dashboard/teams/studio-a`);
    // Readable on a phone: the page is no wider than the screen (tables scroll inside their box).
    expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await small.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
    expect(outside).toEqual([]);
  });
});
