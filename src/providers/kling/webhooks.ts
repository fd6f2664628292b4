import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { CallbackRejected } from '../provider.js';

/** Verifies a Standard Webhooks signature (several during a secret rotation); 5 minutes' tolerance. */
export function verifyCallback(secret: string, headers: Record<string, string | string[] | undefined>, rawBody: string): void {
  const pick = (name: string) => {
    const v = headers[name] ?? headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = pick('webhook-id');
  const timestamp = pick('webhook-timestamp');
  const signature = pick('webhook-signature');
  if (!id || !timestamp || !signature) throw new CallbackRejected('callback is not signed (webhook-id, webhook-timestamp and webhook-signature are required)');
  try {
    new Webhook(secret).verify(rawBody, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature });
  } catch (err) {
    if (err instanceof WebhookVerificationError) throw new CallbackRejected(`callback rejected: ${err.message}`);
    throw err;
  }
}

/** Signs a callback body the way Kling does (used by the local server). */
export function signCallback(secret: string, id: string, body: string, at: Date = new Date()): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}
