import type { ErrorAction } from '../provider.js';

/** Kling's business codes (in the JSON body, even with HTTP 200), and what each calls for. */
export function actionForCode(code: number, during: 'create' | 'query'): ErrorAction {
  if (code >= 1000 && code <= 1004) return 'fail-account'; // authentication
  if (code === 1100 || code === 1101 || code === 1102) return 'fail-account'; // account, balance or pack exhausted
  if (code === 1103) return 'fallback'; // no permission for this model
  if (code === 1200 || code === 1201) return 'fail-job'; // bad parameters
  if (code === 1202) return 'fail-job'; // invalid request method: ours to fix, another model would fail alike
  if (code === 1203) return during === 'create' ? 'fallback' : 'fail-job'; // not found (on create: the model)
  if (code === 1300 || code === 1301) return 'fail-job'; // policy or content block: never retried
  if (code === 1302 || code === 1303) return 'retry'; // rate limit, concurrency over the pack limit
  if (code === 1304) return 'fail-account'; // this host's IP is not on the account's allow-list
  if (code === 5001) return 'fallback'; // maintenance
  if (code === 5000 || code === 5002) return during === 'create' ? 'lookup' : 'retry'; // server error, timeout
  return during === 'create' ? 'lookup' : 'retry';
}

export const CODE_TEXT: Record<number, string> = {
  1000: 'authentication failed',
  1001: 'authorization is empty',
  1002: 'authorization is invalid',
  1003: 'authorization is not yet valid',
  1004: 'authorization has expired',
  1100: 'account exception',
  1101: 'account in arrears',
  1102: 'resource pack exhausted or expired',
  1103: 'no permission for this resource or model',
  1200: 'invalid request parameters',
  1201: 'invalid parameters',
  1202: 'invalid request method',
  1203: 'requested resource does not exist',
  1300: 'platform policy triggered',
  1301: 'content security policy triggered',
  1302: 'rate limit exceeded',
  1303: 'concurrency or QPS over the resource pack limit',
  1304: 'IP whitelisting policy triggered',
  5000: 'server internal error',
  5001: 'server temporarily unavailable (maintenance)',
  5002: 'server internal timeout',
};
