import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';
import { InputError } from '../errors.js';

/**
 * A webhook URL is a way into the operator's network, so only public unicast addresses are
 * targets. The rule is an allowlist: ipaddr.js names every special range (loopback, private,
 * link-local incl. 169.254.169.254, carrier-grade NAT 100.64/10, unique-local fc00::/7,
 * unspecified 0.0.0.0 and ::, multicast, broadcast, NAT64, 6to4, Teredo, documentation and
 * benchmarking ranges, …), and anything but `unicast` is refused. An IPv4-mapped IPv6 address
 * (::ffff:127.0.0.1) is judged as the IPv4 address it carries.
 */
export function forbiddenRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  const range = ipaddr.process(address).range();
  return range === 'unicast' ? null : range;
}

/** What the allowed URLs look like, for error messages. */
export const URL_RULE = 'an http:// or https:// URL of at most 2000 characters, without user name or password, to a public address';

export interface TargetUrl {
  url: URL;
  /** The host as the resolver takes it (an IPv6 literal without its brackets). */
  host: string;
  /** The host is an IP literal: it is checked as it is, never resolved. */
  literal: boolean;
  port: number;
}

/**
 * Parses and checks a webhook URL's form: http or https, no credentials, no fragment. Throws an
 * InputError naming `where`. The address check is separate (`checkAddress`), since a name's
 * address is known only once it is resolved.
 */
export function parseTargetUrl(text: string, where: string): TargetUrl {
  if (text.length > 2000) throw new InputError(`${where}: URL is ${text.length} characters long`, { where, allowed: URL_RULE });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(`${where}: not a URL: ${JSON.stringify(text.slice(0, 200))}`, { where, allowed: URL_RULE });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError(`${where}: scheme ${url.protocol.replace(/:$/, '')} is not allowed`, { where, allowed: URL_RULE });
  if (url.username || url.password) throw new InputError(`${where}: credentials in a URL are not allowed (the payload is signed with the team's secret instead)`, { where, allowed: URL_RULE });
  if (url.hash) throw new InputError(`${where}: a URL fragment (#…) is never sent; leave it out`, { where, allowed: URL_RULE });
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new InputError(`${where}: the URL has no host`, { where, allowed: URL_RULE });
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { url, host, literal: isIP(host) !== 0, port };
}

/** Refuses an address outside the public unicast ranges, unless private targets are allowed. */
export function checkAddress(address: string, target: string, allowPrivate: boolean): void {
  const range = forbiddenRange(address);
  if (range === null || (allowPrivate && range !== 'not an IP address')) return;
  throw new InputError(`${target}: address ${address} is ${range === 'not an IP address' ? range : `in a ${range} range`}; webhooks go only to public addresses`, {
    where: target,
    allowed: `${URL_RULE} (private targets only with VIDGATE_WEBHOOKS_ALLOW_PRIVATE=1 or --webhooks-allow-private, for development)`,
  });
}
