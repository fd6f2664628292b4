import { z } from 'zod';
import { Name } from '../names.js';

export const EventType = z.enum(['job.decided', 'job.rejected', 'job.completed', 'job.failed', 'budget.threshold', 'budget.resolved']);
export type EventType = z.infer<typeof EventType>;

/** A Standard Webhooks secret: `whsec_` and base64 of 24 to 64 bytes. */
export const Secret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, 'use "whsec_" followed by the base64 of 24 to 64 random bytes (or leave it out and one is generated)');

/** An endpoint as stored: its id is a digest of team and URL (a delivery job's id names it). */
export const StoredEndpoint = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(EventType),
  description: z.string().nullable(),
});
export type StoredEndpoint = z.infer<typeof StoredEndpoint>;

export const StoredConfig = z.object({
  team: Name,
  endpoints: z.array(StoredEndpoint),
  secret: Secret,
  /** Events older than this (ms) are not this configuration's: a re-read backlog does not reach it. */
  since: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type StoredConfig = z.infer<typeof StoredConfig>;

/** The Standard Webhooks payload. Amounts in `data` are decimal strings, never JSON numbers. */
export const EventPayload = z.object({
  type: EventType,
  timestamp: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type EventPayload = z.infer<typeof EventPayload>;

/** An event on its way: its id is the `webhook-id`, the same on every attempt. */
export const WebhookEvent = z.object({ id: z.string(), team: Name, payload: EventPayload });
export type WebhookEvent = z.infer<typeof WebhookEvent>;

/** A delivery job's data: one event to one endpoint. */
export const DeliveryJob = WebhookEvent.extend({ endpointId: z.string(), url: z.string() });
export type DeliveryJob = z.infer<typeof DeliveryJob>;

/** One delivery attempt as kept in the team's history. */
export const DeliveryAttempt = z.object({
  eventId: z.string(),
  type: EventType,
  endpointId: z.string(),
  url: z.string(),
  attempt: z.number().int(),
  at: z.string(),
  /** delivered: a 2xx; failed: retried later (or the last attempt); refused: the target is not allowed; dropped: the endpoint was removed. */
  outcome: z.enum(['delivered', 'failed', 'refused', 'dropped']),
  httpStatus: z.number().int().nullable(),
  error: z.string().nullable(),
  /** The start of the receiver's answer (bounded). */
  response: z.string().nullable(),
  durationMs: z.number().int(),
  /** No further attempt follows. */
  final: z.boolean(),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttempt>;
