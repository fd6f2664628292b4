// A job's internal id is its BullMQ job id, reservation id and the core of its provider task id:
// an id computed differently after an upgrade would orphan every job already in Redis. These
// values were computed by the first implementation (SHA-256 of "team\0id", 125 bits in base32).
import { describe, expect, it } from 'vitest';
import { internalJobId } from '../../../src/queue/names.js';

describe('internalJobId', () => {
  it.each([
    ['studio', 'r-1', 'jvawcgjmgahamye3fzu45nhsn4'],
    ['studio-a', 'c-gate', 'jal4optqdrwcpcgziwlg27mjsv'],
    ['t1', 'early', 'jk4mpmsscn6pu6brdxjdoumwhx'],
  ])('team %s, id %s is %s, as it always was', (team, id, expected) => {
    expect(internalJobId(team, id)).toBe(expected);
  });

  it('another team with the same id gets another internal id', () => {
    expect(internalJobId('t2', 'early')).not.toBe(internalJobId('t1', 'early'));
  });
});
