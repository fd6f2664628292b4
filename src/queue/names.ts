import { DEFAULTS } from '../defaults.js';
/** The two queues of the flow: pipelines enqueue on `intake`; the router forwards to `generate`. */
export const QUEUE_INTAKE = 'intake';
export const QUEUE_GENERATE = 'generate';
export const DEFAULT_PREFIX = DEFAULTS.prefix;

/** Keep finished jobs (decisions and results are the record) for a week, bounded in count. */
export const KEEP_FINISHED = { age: 7 * 86_400, count: 500_000 };

/** Where the callback endpoint publishes verified provider callbacks for every generator. */
export const callbackChannel = (prefix: string) => `${prefix}:callbacks`;

/** The provider's external task id for one job on one model: the same after any crash or retry. */
export const externalTaskId = (jobId: string, model: string) => `${jobId}.${model}`;
