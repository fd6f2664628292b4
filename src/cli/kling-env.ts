import { InputError } from '../errors.js';
import { parseMoney } from '../money.js';
import { DEFAULT_KLING_BASE_URL, type KlingAdapterOptions } from '../providers/kling/adapter.js';
import type { KlingCredentials } from '../providers/kling/auth.js';

/** Kling credentials from the environment: an API key, or an access key and a secret key. */
export function klingCredentialsFromEnv(env = process.env): KlingCredentials {
  if (env.KLING_API_KEY) return { apiKey: env.KLING_API_KEY };
  if (env.KLING_ACCESS_KEY && env.KLING_SECRET_KEY) return { accessKey: env.KLING_ACCESS_KEY, secretKey: env.KLING_SECRET_KEY };
  throw new InputError('no Kling credentials: set KLING_API_KEY, or KLING_ACCESS_KEY and KLING_SECRET_KEY');
}

/**
 * A Standard Webhooks secret is `whsec_` and base64 (the key's bytes). One that is not would be
 * taken at start and then fail every callback, so it is refused here. The value is never printed.
 */
function checkedCallbackSecret(secret: string): string {
  const key = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(key) || key.length === 0) {
    throw new InputError(`KLING_CALLBACK_SECRET must be whsec_ followed by base64 (the signing key as Kling shows it, e.g. whsec_c2VjcmV0LWtleQ==); the value set is not base64 (${secret.length} characters, not shown)`);
  }
  return secret;
}

/** The Kling adapter's options from the environment (and `--kling-base-url`), checked before anything runs. */
export function klingOptionsFromEnv(baseUrlFlag: string | undefined, env = process.env, needCredentials = true): Omit<KlingAdapterOptions, 'clock'> {
  const unitPrice = env.KLING_UNIT_PRICE;
  if (unitPrice !== undefined && !parseMoney(unitPrice)) throw new InputError(`KLING_UNIT_PRICE must be an amount such as "0.14", got "${unitPrice}"`);
  const timeout = env.KLING_TIMEOUT_MS;
  if (timeout !== undefined && !/^[1-9][0-9]{0,6}$/.test(timeout)) throw new InputError(`KLING_TIMEOUT_MS must be a whole number of milliseconds from 1 to 9999999, got "${timeout}"`);
  return {
    baseUrl: baseUrlFlag ?? env.KLING_BASE_URL ?? DEFAULT_KLING_BASE_URL,
    credentials: needCredentials ? klingCredentialsFromEnv(env) : { apiKey: 'unused' },
    ...(unitPrice ? { unitPrice } : {}),
    ...(timeout ? { timeoutMs: Number(timeout) } : {}),
    ...(env.KLING_CALLBACK_SECRET ? { callbackSecret: checkedCallbackSecret(env.KLING_CALLBACK_SECRET) } : {}),
  };
}
