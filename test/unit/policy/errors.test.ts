import { describe, expect, it } from 'vitest';
import { Job } from '../../../src/job.js';
import { parsePolicy } from '../../../src/policy/load.js';
import { parseYamlAs } from '../../../src/yaml-file.js';

const base = `team: studio-a
budgets:
  projects:
    trailer: { limit: "500.00", period: monthly }
rules:
  fallback: { direction: cheaper }
`;

describe('bad policy files', () => {
  it.each([
    ['not YAML', 'team: [unclosed', 'policy file p.yaml is not valid YAML/JSON:\n  line 1: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ['a list, not a mapping', '- team: a', 'policy file p.yaml is not valid:\n  line 1, (top level): Invalid input: expected object, received array'],
    ['missing team', 'rules: {}', 'line 1, team: missing (expected string)'],
    ['bad team name', 'team: Studio A', 'line 1, team: use 1-63 lowercase letters, digits, "-" or "_"'],
    ['money as a number', base.replace('"500.00"', '500.5'), 'line 4, budgets.projects.trailer.limit: Invalid input: expected string, received number'],
    ['bad period', base.replace('monthly', 'yearly'), 'line 4, budgets.projects.trailer.period: Invalid option: expected one of "none"|"daily"|"weekly"|"monthly"'],
    ['unknown fallback direction', base.replace('cheaper', 'sideways'), "line 6, rules.fallback.direction: Invalid discriminator value. Expected 'none' | 'cheaper' | 'any'"],
    ['any without maxPremium', base.replace('direction: cheaper', 'direction: any'), 'line 6, rules.fallback.maxPremium: missing (expected string)'],
    ['unknown ladder step', `${base}  ladder: [drop-deferrable-audio, upscale]`, 'line 7, rules.ladder[1]: Invalid option: expected one of "drop-deferrable-audio"|"downscale-720p"|"cheaper-model"'],
    ['repeated ladder step', `${base}  ladder: [downscale-720p, downscale-720p]`, 'line 7, rules.ladder[1]: downscale-720p is listed twice'],
    ['ceiling above 1', `${base}  fullQualityCeiling: 1.5`, 'line 7, rules.fullQualityCeiling: must be at most 1'],
    ['unknown rule', `${base}  maxCost: "5"`, 'line 7, rules: Unrecognized key: "maxCost"'],
    ['unknown model', `${base}  allowModels: [kling-9]`, 'line 7, rules.allowModels[0]: Invalid option'],
    ['unknown rate card', `rateCard: kling-2099\n${base}`, 'policy file p.yaml, line 1, rateCard: unknown rate card "kling-2099"'],
    ['a model the card does not price', `rateCard: kling-official-2026-09\n${base}  allowModels: [kling-3.0, kling-o3]`, 'policy file p.yaml, line 8, rules.allowModels[1]: rate card kling-official-2026-09 does not price kling-o3'],
    ['duplicate key', `${base}rules: {}`, 'line 7: Map keys must be unique'],
  ])('%s', (_, text, message) => {
    expect(() => parsePolicy(text, 'p.yaml')).toThrow(message);
  });
});

describe('bad jobs', () => {
  const good = { team: 'studio-a', project: 'trailer', model: 'kling-3.0', resolution: '1080p', audio: 'none', durationSeconds: 10 };
  const mc = { team: 'studio-a', project: 'trailer', model: 'kling-motion-control', resolution: '1080p', audio: 'none', reference: { orientation: 'video', videoSeconds: 12 } };
  it.each([
    [{ ...good, model: 'kling-9' }, 'line 1, model: Invalid option: expected one of "kling-3.0"|"kling-o3"|"kling-o1"|"kling-motion-control"'],
    [{ ...good, audio: 'maybe' }, 'audio: Invalid option: expected one of "none"|"required"|"deferrable"'],
    [{ ...good, audio: undefined }, 'audio: Invalid option: expected one of "none"|"required"|"deferrable"'],
    [{ ...good, durationSeconds: -1 }, 'durationSeconds: Too small: expected number to be >0'],
    [{ ...good, stage: 'final' }, 'stage: Invalid option: expected one of "draft"|"production"'],
    [{ ...good, reference: { orientation: 'video', videoSeconds: 10 } }, 'line 1, reference: only Motion Control jobs (kling-motion-control) take a reference; kling-3.0 does not'],
    [{ ...good, durationSeconds: undefined }, 'line 1, durationSeconds: missing (expected output seconds, a number above 0; only Motion Control takes its length from a reference)'],
    [{ ...good, model: 'kling-o1', mode: 'motion-control' }, 'line 1, mode: kling-o1 takes text-to-video or image-to-video, got motion-control'],
    [{ ...mc, mode: 'text-to-video' }, 'line 1, mode: kling-motion-control takes motion-control, got text-to-video'],
    [{ ...mc, reference: { kind: 'video', durationSeconds: 12 } }, 'line 1, reference: kind and durationSeconds are gone: write reference: { orientation: video, videoSeconds: 12 } (orientation image ≤ 10 s, video ≤ 30 s)'],
    [{ ...mc, reference: { kind: 'image' } }, "line 1, reference: kind is gone: write reference: { orientation: image, videoSeconds: S } (S: the reference video's length in seconds; orientation image ≤ 10 s, video ≤ 30 s)"],
    [{ ...mc, reference: undefined }, 'line 1, reference: missing: a Motion Control job is priced and reserved on its reference video: write reference: { orientation: image|video, videoSeconds: S } (orientation image ≤ 10 s, video ≤ 30 s)'],
    [{ ...mc, reference: { orientation: 'video' } }, "line 1, reference.videoSeconds: missing: the reference video's length in seconds: Motion Control is billed on it, and vidgate never reserves a guess"],
    [{ ...mc, reference: { videoSeconds: 5 } }, "line 1, reference.orientation: missing: image or video (Motion Control's character_orientation; orientation image ≤ 10 s, video ≤ 30 s)"],
    [{ ...mc, reference: { orientation: 'sideways', videoSeconds: 5 } }, 'line 1, reference.orientation: Invalid option: expected one of "image"|"video"'],
    [{ ...mc, reference: { orientation: 'video', videoSeconds: 0 } }, 'line 1, reference.videoSeconds: Too small: expected number to be >0'],
    [{ ...mc, reference: { orientation: 'image', videoSeconds: 12 } }, 'line 1, reference.videoSeconds: orientation image takes a reference video up to 10 s, got 12 (orientation video takes up to 30 s)'],
    [{ ...mc, reference: { orientation: 'image', videoSeconds: 10.2 } }, 'line 1, reference.videoSeconds: orientation image takes a reference video up to 10 s, got 10.2'],
    [{ ...mc, reference: { orientation: 'video', videoSeconds: 31 } }, 'line 1, reference.videoSeconds: orientation video takes a reference video up to 30 s, got 31 (the longest Motion Control takes)'],
    [{ ...mc, durationSeconds: 10 }, "line 1, durationSeconds: the reference video sets a Motion Control job's length: omit durationSeconds or make it 12 (reference.videoSeconds), got 10"],
    [{ ...mc, input: { character_orientation: 'image' } }, 'line 1, input.character_orientation: is "image" but reference.orientation is video: the reference sets it (omit it here, or make them agree)'],
    [{ ...good, id: 'has space' }, 'id: use 1-200 letters'],
    [{ ...good, extra: 1 }, 'Unrecognized key: "extra"'],
  ])('%j', (j, message) => {
    expect(() => parseYamlAs(Job, JSON.stringify(j), 'job file j.json')).toThrow(message);
  });

  it('names the line of an old reference.kind in a YAML job', () => {
    const text = 'team: studio-a\nproject: trailer\nmodel: kling-motion-control\nresolution: 1080p\naudio: none\nreference:\n  kind: video\n';
    // One message, where the old key is: not a list of what the new shape misses.
    expect(() => parseYamlAs(Job, text, 'job file j.yaml')).toThrow(
      "job file j.yaml is not valid:\n  line 7, reference: kind is gone: write reference: { orientation: video, videoSeconds: S } (S: the reference video's length in seconds; orientation image ≤ 10 s, video ≤ 30 s)",
    );
  });

  it('a Motion Control job without durationSeconds takes its reference video\'s', () => {
    const j = Job.parse({ ...mc, durationSeconds: 12 });
    expect(Job.parse(mc)).toEqual(j);
    expect(j.durationSeconds).toBe(12);
  });
});
