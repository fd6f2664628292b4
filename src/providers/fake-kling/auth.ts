import { errors as joseErrors, jwtVerify } from 'jose';

/**
 * Kling's authentication: `Authorization: Bearer <JWT>` (HS256, issued by the access key, within
 * exp and nbf), or a plain Bearer key as gateways in front of Kling take. Returns the business
 * code of a refusal (1001–1004), or null when the request may pass.
 */
export async function checkAuth(header: string | undefined, o: { apiKey?: string; accessKey?: string; secretKey?: string; now: number }): Promise<number | null> {
  if (!o.apiKey && !o.secretKey) return null;
  if (!header?.startsWith('Bearer ')) return 1001;
  const token = header.slice(7);
  if (o.apiKey && token === o.apiKey) return null;
  if (!o.secretKey) return 1002;
  try {
    await jwtVerify(token, new TextEncoder().encode(o.secretKey), { issuer: o.accessKey, algorithms: ['HS256'], currentDate: new Date(o.now), requiredClaims: ['exp', 'nbf'] });
    return null;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return 1004;
    if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'nbf') return 1003;
    return 1002;
  }
}
