import * as crypto from 'node:crypto';
import { ModelId } from '../catalog.js';
import { ReservationId } from '../names.js';
import { DEFAULTS } from '../defaults.js';
/** The two queues of the flow: pipelines enqueue on `intake`; the router forwards to `generate`. */
export const QUEUE_INTAKE = 'intake';
export const QUEUE_GENERATE = 'generate';
export const DEFAULT_PREFIX = DEFAULTS.prefix;

/**
 * Every Queue of intake and generate is made with these options: BullMQ writes the events
 * stream's bound into the queue's meta at each construction, so all must agree. The webhook
 * dispatcher reads that stream, and this bound is how far it may fall behind.
 */
export const QUEUE_OPTIONS = { streams: { events: { maxLen: DEFAULTS.queueEventsMaxLen } } };

/**
 * How long BullMQ keeps a finished job of either queue (seconds, and a count), by how it ended: a
 * completed one a day, a failed one a week. Reconciliation, which may come later, prices a job's
 * tasks by the terms the generator keeps in its reservation, not from the generate job.
 */
export const KEEP_COMPLETED = { age: DEFAULTS.completedJobRetentionMs / 1000, count: DEFAULTS.finishedJobsKept };
export const KEEP_FAILED = { age: DEFAULTS.failedJobRetentionMs / 1000, count: DEFAULTS.finishedJobsKept };

/** Where the callback endpoint publishes verified provider callbacks for every generator. */
export const callbackChannel = (prefix: string) => `${prefix}:callbacks`;

// Node's one-shot hash (20.12 on) makes no Hash object: about half the time and garbage of
// createHash on every job's id. Node 20.10 and 20.11 have only createHash.
const sha256: (text: string) => Buffer =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'buffer') : (text) => crypto.createHash('sha256').update(text).digest();

/**
 * The internal id of a team's job: the BullMQ job id in both queues, the reservation id and the
 * core of the provider's task id. Derived from team and the caller's id so one team's id never
 * finds, replays or blocks another team's job, and so no caller-chosen string is ever a Redis key
 * or BullMQ job id by itself (an id such as `wait` or `meta` would name a queue's own key). It is
 * `j` and 25 base32 characters (125 bits of sha256): no `.` or `:`, the same for the same team and id.
 */
export function internalJobId(team: string, callerId: string): string {
  const digest = sha256(`${team}\0${callerId}`);
  // 125 bits, 5 at a time, most significant first: a bit buffer instead of a string of '0's and '1's
  // (every job's id is derived on enqueue and again in the router).
  // The characters go into one scratch buffer, made into a string once (appending them one by
  // one made a string each).
  let buffer = 0;
  let bits = 0;
  for (let i = 0, at = 1; at < ID_LENGTH; ) {
    if (bits < 5) {
      buffer = ((buffer << 8) | digest[i++]!) & 0xfff;
      bits += 8;
    }
    bits -= 5;
    idScratch[at++] = BASE32[(buffer >> bits) & 31]!;
  }
  return idScratch.toString('latin1');
}
const BASE32 = Buffer.from('abcdefghijklmnopqrstuvwxyz234567', 'latin1');
const ID_LENGTH = 26;
const idScratch = Buffer.alloc(ID_LENGTH, 'j');

/** What every external task id vidgate gives the provider starts with: reconciliation finds its tasks by it. */
export const EXTERNAL_ID_PREFIX = 'vg-';

/** The provider's external task id for one job on one model: the same after any crash or retry. */
export const externalTaskId = (jobId: string, model: ModelId) => `${EXTERNAL_ID_PREFIX}${jobId}.${model}`;

/** The job and model of an external task id vidgate made; null for any other. */
export function parseExternalTaskId(externalId: string): { jobId: string; model: ModelId } | null {
  if (!externalId.startsWith(EXTERNAL_ID_PREFIX)) return null;
  const model = ModelId.options.find((m) => externalId.endsWith(`.${m}`));
  if (!model) return null;
  const jobId = externalId.slice(EXTERNAL_ID_PREFIX.length, -model.length - 1);
  // Another tool's task on the same account may look alike: only a valid job id is ours.
  return ReservationId.safeParse(jobId).success ? { jobId, model } : null;
}
