import ipaddr from 'ipaddr.js';
import { InputError } from '../errors.js';

/**
 * The proxies whose X-Forwarded-* headers the service believes, as Fastify's `trustProxy`
 * takes them. Behind a TLS-terminating proxy the request reaches us as plain http; only a
 * trusted X-Forwarded-Proto tells that the browser used https, so that the dashboard's session
 * cookie is marked Secure. A header from anyone else is ignored: a client could forge it.
 * The list names addresses or CIDR ranges (never "all", 0.0.0.0/0 or ::/0: that would let any
 * client choose its own address and protocol).
 */
/** An address in its usual form (IPv4 as four decimal parts), or a range narrower than everything. */
function validEntry(entry: string): boolean {
  const [address = '', bits, ...rest] = entry.split('/');
  if (rest.length) return false;
  const usual = ipaddr.IPv4.isValidFourPartDecimal(address) || ipaddr.IPv6.isValid(address);
  if (!usual) return false;
  if (bits === undefined) return true;
  return /^[0-9]{1,3}$/.test(bits) && ipaddr.isValidCIDR(entry) && Number(bits) > 0;
}

export function parseTrustProxy(value: string, where = '--trust-proxy'): string[] {
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) throw new InputError(`${where}: empty; give the proxies' addresses or CIDR ranges, comma-separated (e.g. 127.0.0.1,10.0.0.0/8)`);
  for (const e of entries) {
    if (!validEntry(e)) throw new InputError(`${where}: "${e}" is not an IP address or CIDR range (a range must be narrower than /0); give the proxies' addresses or ranges, comma-separated (e.g. 127.0.0.1,10.0.0.0/8)`);
  }
  return entries;
}
