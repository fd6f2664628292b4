import { ModelId } from '../catalog.js';
import { ReservationId } from '../names.js';
import { DEFAULTS } from '../defaults.js';
/** The two queues of the flow: pipelines enqueue on `intake`; the router forwards to `generate`. */
export const QUEUE_INTAKE = 'intake';
export const QUEUE_GENERATE = 'generate';
export const DEFAULT_PREFIX = DEFAULTS.prefix;

/** Keep finished jobs (decisions and results are the record) for a week, bounded in count. */
export const KEEP_FINISHED = { age: 7 * 86_400, count: 500_000 };

/** Where the callback endpoint publishes verified provider callbacks for every generator. */
export const callbackChannel = (prefix: string) => `${prefix}:callbacks`;

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
