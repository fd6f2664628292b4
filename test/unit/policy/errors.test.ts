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
  it.each([
    [{ ...good, model: 'kling-9' }, 'line 1, model: Invalid option: expected one of "kling-3.0"|"kling-o3"|"kling-o1"|"kling-motion-control"'],
    [{ ...good, audio: 'maybe' }, 'audio: Invalid option: expected one of "none"|"required"|"deferrable"'],
    [{ ...good, audio: undefined }, 'audio: Invalid option: expected one of "none"|"required"|"deferrable"'],
    [{ ...good, durationSeconds: -1 }, 'durationSeconds: Too small: expected number to be >0'],
    [{ ...good, stage: 'final' }, 'stage: Invalid option: expected one of "draft"|"production"'],
    [{ ...good, reference: { kind: 'audio' } }, 'reference.kind: Invalid option: expected one of "image"|"video"'],
    [{ ...good, id: 'has space' }, 'id: use 1-200 letters'],
    [{ ...good, extra: 1 }, 'Unrecognized key: "extra"'],
  ])('%j', (j, message) => {
    expect(() => parseYamlAs(Job, JSON.stringify(j), 'job file j.json')).toThrow(message);
  });
});
