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
    [['estimate', '--model', 'kling-3.0', '--resolution', '720p', '--duration', '5', '--count', '0'], 'expected a whole number from 1 to 1000000000'],
    [['estimate', '--model', 'kling-3.0', '--duration', '5'], "required option '--resolution <res>' not specified"],
    [['estimate', '--resolution', '720p', '--duration', '5'], 'name a model with --model'],
    [['estimate', '--model', 'kling-3.0', '--resolution', '720p', '--duration', '5', '--rate-card', 'nope'], 'unknown rate card "nope": use a built-in id (hf-forum-2026-04, kling-official-2026-09)'],
  ])('exits 2 on %j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });

  describe('Motion Control: priced on its reference video', () => {
    const mc = ['estimate', '--model', 'kling-motion-control', '--resolution', '1080p'];
    it('prices 30 s of reference video, orientation video, at 4.53 (JSON)', async () => {
      const r = await runCli([...mc, '--orientation', 'video', '--reference-seconds', '30', '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({
        model: 'kling-motion-control',
        mode: 'motion-control',
        durationSeconds: 30,
        billedSeconds: 30,
        reference: { orientation: 'video', videoSeconds: 30 },
        costPerClip: '4.53',
      });
    });

    it('bills the reference rounded to the nearest second, and says so', async () => {
      const r = await runCli([...mc, '--orientation', 'image', '--reference-seconds', '9.5', '--count', '2']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('kling-motion-control motion-control, 1080p, silent, reference video 9.5 s, orientation image (billed 10 s)');
      expect(r.stdout).toMatch(/total\s+3\.02 USD/);
    });

    it('other models carry no reference in their JSON', async () => {
      const r = await runCli(['estimate', '--model', 'kling-3.0', '--resolution', '720p', '--duration', '5', '--json']);
      expect(JSON.parse(r.stdout).reference).toBeNull();
    });

    it.each([
      [[...mc, '--duration', '30', '--orientation', 'video', '--reference-seconds', '30'], '--duration: Motion Control has no duration: its output runs, and is billed, as long as the reference video; give --orientation image|video and --reference-seconds S instead'],
      [[...mc, '--duration', '30', '--reference', 'video'], '--reference is gone: Motion Control takes --orientation image|video and --reference-seconds S (image: reference video up to 10 s, video: up to 30 s)'],
      [[...mc, '--orientation', 'video', '--reference-duration', '30'], '--reference-duration is gone: Motion Control takes --orientation image|video and --reference-seconds S (image: reference video up to 10 s, video: up to 30 s)'],
      [[...mc, '--reference-seconds', '30'], 'Motion Control needs --orientation image|video (image: reference video up to 10 s, video: up to 30 s)'],
      [[...mc, '--orientation', 'video'], "Motion Control needs --reference-seconds S, the reference video's length: it is what is billed, and vidgate never prices a guess"],
      [[...mc, '--orientation', 'image', '--reference-seconds', '12'], 'kling-motion-control motion-control with orientation image takes a reference video up to 10 seconds, got 12'],
      [[...mc, '--orientation', 'video', '--reference-seconds', '31'], 'kling-motion-control motion-control with orientation video takes a reference video up to 30 seconds, got 31'],
      [['estimate', '--model', 'kling-3.0', '--resolution', '720p', '--orientation', 'image', '--reference-seconds', '5'], '--orientation and --reference-seconds are for Motion Control only; kling-3.0 takes --duration'],
      [['estimate', '--model', 'kling-3.0', '--resolution', '720p'], '--duration S is required: the output seconds of kling-3.0'],
      [['estimate', '--compare', 'kling-3.0,kling-motion-control', '--resolution', '720p', '--duration', '5'], '--compare: Motion Control is priced on its reference video, the other models on --duration: compare them separately'],
    ])('refuses %j', async (args, message) => {
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`vidgate: ${message}\n`);
    });

    it('documents the new flags in --help, and not the old ones', async () => {
      const r = await runCli(['estimate', '--help']);
      expect(r.stdout).toContain('--orientation <image|video>');
      expect(r.stdout).toContain('--reference-seconds <seconds>');
      expect(r.stdout).toContain('Motion Control has no --duration');
      expect(r.stdout).not.toMatch(/--reference </);
      expect(r.stdout).not.toContain('--reference-duration');
    });
  });

  describe('O1 and O3 in the modes a card does not price', () => {
    it.each([
      [['--model', 'kling-o1', '--mode', 'text-to-video', '--duration', '5'], 'rate card hf-forum-2026-04 does not price kling-o1 text-to-video: it prices kling-o1 only as image-to-video'],
      [['--model', 'kling-o3', '--mode', 'image-to-video', '--duration', '5'], 'rate card hf-forum-2026-04 does not price kling-o3 image-to-video: it prices kling-o3 only as text-to-video'],
      [['--model', 'kling-o1', '--mode', 'text-to-video', '--duration', '5', '--rate-card', 'kling-official-2026-09'], 'rate card kling-official-2026-09 does not price kling-o1 text-to-video: it prices kling-o1 only as image-to-video'],
    ])('refuses %j', async (args, message) => {
      const r = await runCli(['estimate', '--resolution', '720p', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`vidgate: ${message}\n`);
    });
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
