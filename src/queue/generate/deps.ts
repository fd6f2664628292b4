import type { Logger } from 'pino';
import type { ModelId } from '../../catalog.js';
import type { Ledger } from '../../ledger/ledger.js';
import type { WorkerMetrics } from '../../metrics/worker-metrics.js';
import type { RateCard } from '../../pricing/rate-card-schema.js';
import type { Provider } from '../../providers/provider.js';
import type { CancelGate } from '../cancel-gate.js';
import type { AccountScheduler } from '../scheduler/account.js';
import type { ModelSlots } from '../slots.js';

export interface GeneratorDeps {
  ledger: Ledger;
  providerFor: (model: ModelId) => Provider;
  slots: ModelSlots;
  /** The provider account's fair scheduler: a job runs only while it holds one of the account's slots. */
  scheduler: AccountScheduler;
  /** How long a job without a slot sleeps in the delayed set before it looks again (the dispatcher wakes it sooner). */
  parkMs: number;
  leaseMs: number;
  /** How long a job may wait for a provider slot before its model counts as unavailable. */
  maxSlotWaitMs: number;
  slotRetryMs: number;
  poll: { intervalMs: number; maxIntervalMs: number; timeoutMs: number };
  /** The callback URL a new task carries, if callbacks are received (one per task). */
  callbackUrlFor?: (externalId: string) => string | undefined;
  /** Wakes the poll loop of the task with this external id when a callback arrives. */
  wake?: (externalId: string, now: () => void) => () => void;
  /** Jobs whose reservation is held for reconciliation (the provider's bill is unknown). */
  holdForReconciliation: (id: string, externalId: string | undefined, reason: string) => Promise<void>;
  /** Claimed just before a job first goes to the provider: a job cancelled first is never sent. */
  gate: CancelGate;
  /** The card an admission names (built-in, or stored with the policy version that admitted the job). */
  cardFor: (team: string, ref: string) => Promise<RateCard>;
  log: Logger;
  /** The process's metrics: each task's time at the provider. */
  metrics?: Pick<WorkerMetrics, 'providerTask'>;
}
