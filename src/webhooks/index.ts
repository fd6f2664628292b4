// Outbound webhooks: the service's route functions (api.ts) and the worker-side runtime.
export { allowPrivateFromEnv, DeliveryListQuery, DeliveryListView, getWebhooks, listDeliveries, putWebhooks, webhookDeps, WebhookConfigInput, WebhookConfigView, type WebhookDeps } from './api.js';
export { startWebhooks, type RunningWebhooks, type WebhookConfig } from './runtime.js';
export { EventType, EventPayload, DeliveryAttempt } from './schema.js';
