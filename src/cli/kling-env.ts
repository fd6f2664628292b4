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

/** The Kling adapter's options from the environment (and `--kling-base-url`), checked before anything runs. */
export function klingOptionsFromEnv(baseUrlFlag: string | undefined, env = process.env, needCredentials = true): Omit<KlingAdapterOptions, 'clock'> {
  const unitPrice = env.KLING_UNIT_PRICE;
  if (unitPrice !== undefined && !parseMoney(unitPrice)) throw new InputError(`KLING_UNIT_PRICE must be an amount such as "0.14", got "${unitPrice}"`);
  return {
    baseUrl: baseUrlFlag ?? env.KLING_BASE_URL ?? DEFAULT_KLING_BASE_URL,
    credentials: needCredentials ? klingCredentialsFromEnv(env) : { apiKey: 'unused' },
    ...(unitPrice ? { unitPrice } : {}),
    ...(env.KLING_CALLBACK_SECRET ? { callbackSecret: env.KLING_CALLBACK_SECRET } : {}),
  };
}
