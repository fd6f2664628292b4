import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { InputError } from '../errors.js';
import { checkAddress, parseTargetUrl } from './addresses.js';

/** A host's addresses. The default asks the system resolver; tests pass their own. */
export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

export interface SendOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  maxResponseBytes: number;
  resolve?: Resolver;
}

export interface SendResult {
  status: number;
  /** The start of the response body (at most maxResponseBytes), for the delivery history. */
  body: string;
  truncated: boolean;
  /** The address the request went to: the one that was checked. */
  address: string;
}

/** The target itself is refused (its form or address): retrying cannot help until it is changed. */
export class TargetRefused extends Error {
  override readonly name = 'TargetRefused';
}

/** Resolves the target and checks every address it has; answers the one to connect to. */
export async function resolveTarget(target: string, opts: Pick<SendOptions, 'allowPrivate' | 'resolve'>) {
  let parsed;
  try {
    parsed = parseTargetUrl(target, 'url');
  } catch (err) {
    throw new TargetRefused((err as Error).message);
  }
  let addresses: { address: string; family: number }[];
  if (parsed.literal) addresses = [{ address: parsed.host, family: parsed.host.includes(':') ? 6 : 4 }];
  else {
    try {
      addresses = await (opts.resolve ?? systemResolver)(parsed.host);
    } catch (err) {
      throw new Error(`cannot resolve ${parsed.host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (addresses.length === 0) throw new Error(`cannot resolve ${parsed.host}: no address`);
  }
  // Every address must pass: a name with one public and one private address could otherwise be
  // steered to the private one by whoever answers its DNS.
  for (const a of addresses) {
    try {
      checkAddress(a.address, `url ${parsed.url.origin}`, opts.allowPrivate);
    } catch (err) {
      if (err instanceof InputError) throw new TargetRefused(err.message);
      throw err;
    }
  }
  return { ...parsed, address: addresses[0]! };
}

/**
 * POSTs a JSON body to a webhook URL without letting it reach into the operator's network: the
 * name is resolved here, every address checked, and the connection made to the checked address
 * (a second DNS answer cannot switch it); redirects are not followed (a 3xx is the answer);
 * the whole exchange is bounded in time and the response in size.
 */
export async function postJson(target: string, headers: Record<string, string>, body: string, opts: SendOptions): Promise<SendResult> {
  const t = await resolveTarget(target, opts);
  const client = t.url.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve, reject) => {
    let settled = false;
    const done = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const req = client.request({
      host: t.address.address,
      family: t.address.family,
      port: t.port,
      path: `${t.url.pathname}${t.url.search}`,
      method: 'POST',
      agent: false,
      // TLS still verifies the certificate against the name, not the address.
      ...(t.url.protocol === 'https:' && !t.literal ? { servername: t.host } : {}),
      headers: { ...headers, host: t.url.host, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'vidgate-webhooks' },
    });
    const timer = setTimeout(() => {
      req.destroy();
      done(() => reject(new Error(`no complete answer within ${opts.timeoutMs} ms`)));
    }, opts.timeoutMs);
    req.on('error', (err) => done(() => reject(new Error(`${(err as NodeJS.ErrnoException).code ?? err.message}`))));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (truncated: boolean) =>
        done(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), truncated, address: t.address.address }));
      res.on('data', (chunk: Buffer) => {
        const room = opts.maxResponseBytes - size;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          size = opts.maxResponseBytes;
          finish(true);
          res.destroy();
          req.destroy();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => finish(false));
      res.on('error', (err) => done(() => reject(err)));
    });
    req.end(body);
  });
}
