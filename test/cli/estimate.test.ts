import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('vidgate estimate', () => {
  it('prints help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('estimate');
  });

  it('prices one job as JSON with decimal strings', async () => {
    const r = await runCli(['estimate', '--model', 'kling-3.0', '--resolution', '1080p', '--audio', '--duration', '10', '--count', '100', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      rateCard: 'hf-forum-2026-04',
      model: 'kling-3.0',
      mode: 'text-to-video',
      resolution: '1080p',
      audio: true,
      billedSeconds: 10,
      costPerClip: '1.50',
      count: 100,
      total: '150.00',
      currency: 'USD',
    });
  });

  it('prints a readable summary', async () => {
    const r = await runCli(['estimate', '--model', 'kling-o1', '--resolution', '720p', '--duration', '10', '--count', '500']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('fixed 1.111 for 10 s');
    expect(r.stdout).toMatch(/total\s+555\.50 USD/);
  });

  it('compares models with deltas (the reference volume table)', async () => {
    const r = await runCli(['estimate', '--compare', 'kling-o3,kling-3.0', '--resolution', '1080p', '--audio', '--duration', '10', '--count', '1000', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.comparisons.map((c: { model: string; total: string; deltaTotal: string }) => [c.model, c.total, c.deltaTotal])).toEqual([
      ['kling-o3', '1250.00', '0.00'],
      ['kling-3.0', '1500.00', '250.00'],
    ]);
    const table = await runCli(['estimate', '--compare', 'kling-o3,kling-3.0', '--resolution', '1080p', '--audio', '--duration', '10', '--count', '1000']);
    expect(table.stdout).toMatch(/kling-3\.0.*1500\.00\s+\+250\.00/);
  });

  it('uses another built-in card', async () => {
    const r = await runCli(['estimate', '--model', 'kling-3.0', '--resolution', '1080p', '--audio', '--duration', '10', '--rate-card', 'kling-official-2026-09', '--json']);
    expect(JSON.parse(r.stdout).costPerClip).toBe('1.68');
  });

  it.each([
    [['estimate', '--model', 'kling-o1', '--resolution', '720p', '--duration', '7'], 'kling-o1 image-to-video takes 5 or 10 seconds, got 7'],
    [['estimate', '--model', 'kling-9', '--resolution', '720p', '--duration', '7'], "argument 'kling-9' is invalid. allowed: kling-3.0, kling-o3, kling-o1, kling-motion-control"],
    [['estimate', '--model', 'kling-3.0', '--resolution', '720p', '--duration', 'ten'], 'expected a number above 0'],
    [['estimate', '--model', 'kling-3.0', '--resolution', '720p', '--duration', '5', '--count', '0'], 'expected a whole number of at least 1'],
    [['estimate', '--model', 'kling-3.0', '--duration', '5'], "required option '--resolution <res>' not specified"],
    [['estimate', '--resolution', '720p', '--duration', '5'], 'name a model with --model'],
    [['estimate', '--model', 'kling-3.0', '--resolution', '720p', '--duration', '5', '--rate-card', 'nope'], 'unknown rate card "nope": use a built-in id (hf-forum-2026-04, kling-official-2026-09)'],
    [['estimate', '--model', 'kling-motion-control', '--resolution', '720p', '--duration', '20', '--reference', 'image'], 'with a image reference takes 1 to 10 seconds, got 20'],
  ])('exits 2 on %j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });

  const cardDir = mkdtempSync(join(tmpdir(), 'vidgate-card-'));
  afterAll(() => rmSync(cardDir, { recursive: true, force: true }));

  /** A one-product card file, with the 720p rates given. */
  function cardFile(id: string, currency: string, rates720: Record<string, unknown>): string {
    const file = join(cardDir, `${id}.json`);
    const product = { model: 'kling-3.0', mode: 'text-to-video', duration: { min: 3, max: 15 }, pricing: { kind: 'per-second', rates: { '720p': rates720 } } };
    writeFileSync(file, JSON.stringify({ id, source: 'test', effectiveDate: '2026-10-01', currency, billing: { unit: 'second', rounding: 'nearest-half-up' }, products: [product] }));
    return file;
  }

  it('names the file and the field of a bad rate card', async () => {
    const file = cardFile('mine', 'USD', { silent: 0.075 });
    const r = await runCli(['estimate', '--model', 'kling-3.0', '--resolution', '720p', '--duration', '5', '--rate-card', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`rate card file ${file} is not valid`);
    expect(r.stderr).toContain('products[0].pricing.rates.720p.silent');
  });

  it('prices from a user card file', async () => {
    const file = cardFile('negotiated-2026', 'EUR', { silent: '0.05' });
    const r = await runCli(['estimate', '--model', 'kling-3.0', '--resolution', '720p', '--duration', '5', '--rate-card', file, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rateCard: 'negotiated-2026', currency: 'EUR', costPerClip: '0.25' });
  });
});
