import { SignJWT } from 'jose';

export type KlingCredentials = { apiKey: string } | { accessKey: string; secretKey: string };

const TOKEN_LIFETIME_S = 1800;
const REFRESH_MARGIN_S = 300;

/**
 * The Authorization header for Kling: a Bearer API key, or for the legacy endpoints a JWT signed
 * HS256 with the secret key ({ iss: accessKey, exp: now+1800, nbf: now-5 }), re-signed five
 * minutes before it expires. The key itself never leaves this closure.
 */
export function klingAuthorizer(creds: KlingCredentials, clock: () => number = Date.now): () => Promise<string> {
  if ('apiKey' in creds) {
    const header = `Bearer ${creds.apiKey}`;
    return async () => header;
  }
  const secret = new TextEncoder().encode(creds.secretKey);
  let cached: { header: string; exp: number } | null = null;
  return async () => {
    const now = Math.floor(clock() / 1000);
    if (cached && cached.exp - REFRESH_MARGIN_S > now) return cached.header;
    const exp = now + TOKEN_LIFETIME_S;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(creds.accessKey)
      .setExpirationTime(exp)
      .setNotBefore(now - 5)
      .sign(secret);
    cached = { header: `Bearer ${token}`, exp };
    return cached.header;
  };
}
