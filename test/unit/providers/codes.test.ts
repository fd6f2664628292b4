import { expect, it } from 'vitest';
import { actionForCode } from '../../../src/providers/kling/codes.js';

it.each([
  [1000, 'create', 'fail-account'],
  [1004, 'query', 'fail-account'],
  [1101, 'create', 'fail-account'],
  [1102, 'create', 'fail-account'],
  [1103, 'create', 'fallback'],
  [1200, 'create', 'fail-job'],
  [1201, 'create', 'fail-job'],
  [1202, 'create', 'fail-job'],
  [1203, 'create', 'fallback'],
  [1300, 'create', 'fail-job'],
  [1301, 'create', 'fail-job'],
  [1302, 'create', 'retry'],
  [1303, 'create', 'retry'],
  [5000, 'create', 'lookup'],
  [5002, 'create', 'lookup'],
  [5000, 'query', 'retry'],
  [5001, 'create', 'fallback'],
] as const)('Kling code %i during %s: %s', (code, during, action) => {
  expect(actionForCode(code, during)).toBe(action);
});
