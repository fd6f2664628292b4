import { createHash } from 'node:crypto';
import type { AuditEntry, BudgetView } from '../ledger/schema.js';
import { money } from '../money.js';
import { Name } from '../names.js';
import type { DecisionRecord, GenerateData, GenerationResult } from '../queue/records.js';
import type { SourceQueue } from './keys.js';
import type { EventType, WebhookEvent } from './schema.js';

// Pure: what each source entry means as a webhook event. The event's id (the `webhook-id`) comes
// from where it was read (the stream entry's id), so reading an entry again after a crash makes
// the same event, and its delivery jobs (whose ids derive from it) are not added twice.

/** A stream entry's fields as a Map: an entry's field names are never looked up on a plain object. */
export function fieldsOf(flat: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i]!, flat[i + 1]!);
  return m;
}

/** Milliseconds of a stream entry id ("1700000000000-0"). */
export const entryMs = (entryId: string) => Number(entryId.slice(0, entryId.indexOf('-')));

const INTERNAL_ID = /^j[a-z2-7]{25}$/;

/** Whether a queue event finishes a job (so it is an event) and its job id is one vidgate made. */
export function finishedJob(fields: Map<string, string>): { jobId: string; completed: boolean } | null {
  const event = fields.get('event');
  const jobId = fields.get('jobId') ?? '';
  if ((event !== 'completed' && event !== 'failed') || !INTERNAL_ID.test(jobId)) return null;
  return { jobId, completed: event === 'completed' };
}

const teamOf = (v: unknown): string | null => (Name.safeParse(v).success ? (v as string) : null);

/** `job.decided` or `job.rejected` from the router's decision record (the intake job's return value). */
export function decisionEvent(entryId: string, jobId: string, record: DecisionRecord): WebhookEvent | null {
  const team = teamOf(record.team);
  if (!team) return null; // a job with no valid team belongs to no one's webhooks
  const type: EventType = record.outcome === 'reject' ? 'job.rejected' : 'job.decided';
  const chosen = record.chosen && {
    model: record.chosen.model,
    mode: record.chosen.mode ?? null,
    resolution: record.chosen.resolution,
    audio: record.chosen.audio,
    durationSeconds: record.chosen.durationSeconds,
    billedSeconds: record.chosen.billedSeconds,
    downgraded: record.chosen.downgraded,
  };
  return {
    id: `msg_intake_${entryId}`,
    team,
    payload: {
      type,
      timestamp: new Date(entryMs(entryId)).toISOString(),
      data: {
        id: record.id,
        internalId: jobId,
        team,
        project: record.project,
        outcome: record.outcome,
        code: record.code,
        policyVersion: record.policyVersion,
        rateCard: record.rateCard,
        currency: record.currency,
        chosen,
        requestedCost: record.requestedCost,
        cost: record.cost,
        reserve: record.reserve,
        saving: record.saving,
        rules: record.rules,
        reasons: record.reasons,
        scopes: record.scopes,
        decidedAt: record.decidedAt,
      },
    },
  };
}

/**
 * `job.completed` or `job.failed` from the generator: its outcome (the generate job's return
 * value), or BullMQ's failure when the job failed on its last attempt without one. Team and
 * project come from the admission (the generate job's data).
 */
export function outcomeEvent(
  entryId: string,
  jobId: string,
  admission: Pick<GenerateData, 'variant'>,
  result: GenerationResult | { failedReason: string },
): WebhookEvent | null {
  const team = teamOf(admission.variant.team);
  if (!team) return null;
  const base = { id: admission.variant.id ?? null, internalId: jobId, team, project: admission.variant.project };
  const data =
    'failedReason' in result
      ? { ...base, state: 'failed', model: admission.variant.model, reason: result.failedReason, settlement: null, finishedAt: new Date(entryMs(entryId)).toISOString() }
      : {
          ...base,
          state: result.state,
          model: result.model,
          videoUrl: result.videoUrl,
          outputSeconds: result.outputSeconds,
          estimatedCost: result.estimatedCost,
          reserved: result.reserved,
          actualCost: result.actualCost,
          charged: result.charged,
          variance: result.variance,
          overrun: result.overrun,
          fellBackFrom: result.fellBackFrom,
          billing: result.billing,
          settlement: result.settlement,
          reason: result.reason,
          finishedAt: result.finishedAt,
        };
  const type: EventType = data.state === 'completed' ? 'job.completed' : 'job.failed';
  return { id: `msg_generate_${entryId}`, team, payload: { type, timestamp: new Date(entryMs(entryId)).toISOString(), data } };
}

/** A fired threshold as the dispatcher remembers it until it is resolved. */
export interface OpenThreshold {
  scope: 'team' | 'project';
  name: string;
  window: string;
  /** A share of the limit, as the audit writes it ("0.8"). */
  threshold: string;
  limit: string;
}

export const openField = (o: Pick<OpenThreshold, 'scope' | 'name' | 'window' | 'threshold'>) => `${o.scope}|${o.name}|${o.window}|${o.threshold}`;

/** `budget.threshold` from the ledger's `alert` audit entry (written once per threshold per window). */
export function thresholdEvent(team: string, entry: AuditEntry): { event: WebhookEvent; open: OpenThreshold } | null {
  if (entry.op !== 'alert') return null;
  const f = entry.fields;
  const scope = f.scope === 'team' || f.scope === 'project' ? f.scope : null;
  if (!scope || !f.name || !f.window || !f.threshold || !f.limit) return null;
  // The audit keeps the threshold in parts per million; receivers get the share ("0.8"), exactly.
  if (!/^\d{1,7}$/.test(f.threshold)) return null;
  const threshold = money(f.threshold).dividedBy(1_000_000).toFixed();
  const open: OpenThreshold = { scope, name: f.name, window: f.window, threshold, limit: f.limit };
  return {
    open,
    event: {
      id: `msg_audit_${team}_${entry.id}`,
      team,
      payload: {
        type: 'budget.threshold',
        timestamp: new Date(entryMs(entry.id)).toISOString(),
        data: { team, scope, name: f.name, window: f.window, threshold, limit: f.limit, spent: f.spent ?? null, reserved: f.reserved ?? null },
      },
    },
  };
}

/** Whether a fired threshold is over: a new window began, or a raised limit put the scope back under it. */
export function resolution(open: OpenThreshold, now: Pick<BudgetView, 'window' | 'limit' | 'spent' | 'reserved'>): 'new-window' | 'limit-raised' | null {
  if (now.window !== open.window) return 'new-window';
  const limit = money(now.limit);
  if (limit.gt(open.limit) && money(now.spent).plus(now.reserved).lt(limit.times(open.threshold))) return 'limit-raised';
  return null;
}

/** `budget.resolved`, with the scope's numbers now. Its id is the threshold's, so it is made once. */
export function resolvedEvent(team: string, open: OpenThreshold, reason: 'new-window' | 'limit-raised', now: BudgetView, atMs: number): WebhookEvent {
  const digest = createHash('sha256').update(`${team}\0${openField(open)}`).digest('hex').slice(0, 24);
  return {
    id: `msg_resolved_${digest}`,
    team,
    payload: {
      type: 'budget.resolved',
      timestamp: new Date(atMs).toISOString(),
      data: {
        team,
        scope: open.scope,
        name: open.name,
        window: open.window,
        threshold: open.threshold,
        reason,
        currentWindow: now.window,
        limit: now.limit,
        spent: now.spent,
        reserved: now.reserved,
        available: now.available,
      },
    },
  };
}
