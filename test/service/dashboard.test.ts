// The dashboard over real HTTP on the real pipeline (Redis, workers, the local Kling server):
// sign-in and the session cookie, the CSP, one team's pages only, a revoked key's session ending,
// the CSRF check, escaping of what users typed, the policy page's quote, the live stream and
// bull-board for the admin only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../helpers/redis.js';
import { ADMIN_KEY, startService, type TestService } from '../helpers/service.js';
import { job, SERVICE_POLICIES } from './policies.js';

const HOSTILE = '<script>alert("x")</script>';
let s: TestService;
beforeAll(async () => {
  s = await startService({ policies: { ...SERVICE_POLICIES, 'other.yaml': `# owner: ${HOSTILE}\n${SERVICE_POLICIES['other.yaml']}` }, kling: { latencyMs: 50 }, trustProxy: ['127.0.0.1'] });
});
afterAll(async () => s?.close());

/** Signs in with `key` through the login form; the session cookie's name=value. */
async function signIn(key: string): Promise<{ cookie: string; setCookie: string; location: string | null }> {
  const r = await fetch(`${s.url}/dashboard/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key }).toString() });
  expect(r.status).toBe(303);
  const setCookie = r.headers.get('set-cookie') ?? '';
  return { cookie: setCookie.split(';')[0]!, setCookie, location: r.headers.get('location') };
}
const page = (path: string, cookie?: string, init: RequestInit = {}) => fetch(`${s.url}${path}`, { redirect: 'manual', ...init, headers: { ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string> | undefined) } });

describe('sign-in and session', () => {
  it('a team key becomes an HttpOnly, SameSite=Strict session cookie that is not the key', async () => {
    const { cookie, setCookie, location } = await signIn(s.key.submitA);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).not.toMatch(/Secure/); // plain http here
    expect(cookie).toMatch(/^vidgate_session=[A-Za-z0-9_-]{43}$/);
    expect(setCookie).not.toContain(s.key.submitA);
    expect(location).toBe('/dashboard/teams/studio-a');
    // Redis holds the session under a hash of its id only.
    const sid = cookie.split('=')[1]!;
    const redis = connect();
    const stored = await redis.keys(`${s.pipeline.prefix}:dashboard:session:*`);
    redis.disconnect();
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.join(' ')).not.toContain(sid);
  });

  it('behind a trusted TLS proxy (X-Forwarded-Proto: https from a --trust-proxy address) the cookie is Secure', async () => {
    const r = await fetch(`${s.url}/dashboard/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' }, body: new URLSearchParams({ key: s.key.submitA }).toString() });
    expect(r.status).toBe(303);
    expect(r.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('a wrong key is 401 with a message, and no cookie', async () => {
    const r = await fetch(`${s.url}/dashboard/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'key=vgk_000000000000_nope' });
    expect(r.status).toBe(401);
    expect(r.headers.get('set-cookie')).toBeNull();
    expect(await r.text()).toContain('That key is not valid');
  });

  it('no session: the pages send to the login page', async () => {
    const r = await page('/dashboard/teams/studio-a');
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/dashboard/login');
  });

  it('pages send a strict CSP and nosniff', async () => {
    const { cookie } = await signIn(s.key.submitA);
    const r = await page('/dashboard/teams/studio-a', cookie);
    expect(r.status).toBe(200);
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await r.text();
    expect(html).not.toMatch(/<script>(?!<)/); // no inline script
    expect(html).not.toMatch(/(src|href|action)="(https?:)?\/\//); // nothing from another host
  });

  it("a team key never sees another team's pages or stream (404)", async () => {
    const { cookie } = await signIn(s.key.submitA);
    for (const path of ['/dashboard/teams/other', '/dashboard/teams/other/policy', '/dashboard/teams/other/live', '/dashboard/teams/constructor']) {
      const r = await page(path, cookie);
      expect(r.status, path).toBe(404);
    }
  });

  it("revoking the key ends its session at once", async () => {
    const made = await s.keys.create({ team: 'studio-a', role: 'submit' });
    const { cookie } = await signIn(made.key);
    expect((await page('/dashboard/teams/studio-a', cookie)).status).toBe(200);
    expect(await s.keys.revoke(made.info.id)).toBe(true);
    const r = await page('/dashboard/teams/studio-a', cookie);
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/dashboard/login');
  });

  it('sign-out ends the session', async () => {
    const { cookie } = await signIn(s.key.submitA);
    const out = await page('/dashboard/logout', cookie, { method: 'POST' });
    expect(out.status).toBe(303);
    expect((await page('/dashboard/teams/studio-a', cookie)).status).toBe(303);
  });

  it('the admin key sees the team list and any team', async () => {
    const { cookie, location } = await signIn(ADMIN_KEY);
    expect(location).toBe('/dashboard');
    const list = await (await page('/dashboard', cookie)).text();
    expect(list).toContain('/dashboard/teams/studio-a');
    expect(list).toContain('/dashboard/teams/other');
    expect((await page('/dashboard/teams/other', cookie)).status).toBe(200);
  });
});

describe('policy page', () => {
  it("shows the policy's source escaped, its history, and quotes a typed job", async () => {
    const { cookie } = await signIn(ADMIN_KEY);
    const html = await (await page('/dashboard/teams/other/policy', cookie)).text();
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const typed = JSON.stringify(job('q-1', { team: 'other' }));
    const r = await page('/dashboard/teams/other/policy/quote', cookie, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf, job: typed }).toString() });
    expect(r.status).toBe(200);
    const answer = await r.text();
    expect(answer).toMatch(/<strong data-k="outcome">admit<\/strong> · cost <span data-k="cost">0\.375<\/span>/);
  });

  it('a quote without the session token is refused (CSRF), and what was typed is shown escaped', async () => {
    const { cookie } = await signIn(s.key.submitA);
    const bad = await page('/dashboard/teams/studio-a/policy/quote', cookie, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf: 'x'.repeat(43), job: '{}' }).toString() });
    expect(bad.status).toBe(403);
    const html = await (await page('/dashboard/teams/studio-a/policy', cookie)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const typed = `</textarea>${HOSTILE}`;
    const r = await page('/dashboard/teams/studio-a/policy/quote', cookie, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf, job: typed }).toString() });
    const answer = await r.text();
    expect(answer).toContain('the job is not JSON');
    expect(answer).not.toContain(HOSTILE);
    expect(answer).toContain('&lt;/textarea&gt;');
  });

  it("a form posted from another origin is refused", async () => {
    const { cookie } = await signIn(s.key.submitA);
    const r = await page('/dashboard/logout', cookie, { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(r.status).toBe(403);
    expect((await page('/dashboard/teams/studio-a', cookie)).status).toBe(200);
  });
});

describe('live stream and queues', () => {
  it('the live stream sends the overview with a job submitted after it opened', async () => {
    const { cookie } = await signIn(s.key.submitA);
    const ac = new AbortController();
    const res = await fetch(`${s.url}/dashboard/teams/studio-a/live`, { headers: { cookie }, signal: ac.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let submitted = false;
    let seen = false;
    // Bounded: each event comes within a second; the job within the router's time.
    for (let i = 0; i < 200 && !seen; i++) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      if (!submitted && buffer.includes('event: overview')) {
        expect((await s.call('/v1/jobs', { body: job('live-1') })).status).toBe(202);
        submitted = true;
      }
      seen = submitted && /"id":"live-1"/.test(buffer.slice(buffer.lastIndexOf('event: overview')));
    }
    ac.abort();
    expect(seen).toBe(true);
  });

  it('bull-board is for admin sessions only', async () => {
    const team = await signIn(s.key.manageA);
    expect((await page('/admin/queues', team.cookie)).status).toBe(403);
    expect((await page('/admin/queues')).status).toBe(403);
    const admin = await signIn(ADMIN_KEY);
    const r = await page('/admin/queues', admin.cookie);
    expect(r.status).toBe(200);
    expect(await r.text()).toMatch(/<html/i);
  });
});
