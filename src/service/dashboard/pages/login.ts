import { e, layout } from './layout.js';

export function loginPage(error?: string): string {
  return layout(
    'Sign in',
    `<h1>Sign in</h1>
${error ? `<p class="error" role="alert">${e(error)}</p>` : ''}
<form method="post" action="/dashboard/login" class="card">
<label>API key <input type="password" name="key" autocomplete="off" required maxlength="200"></label>
<button>Sign in</button>
</form>
<p class="muted">A team key shows its team; the admin key shows every team. The key is exchanged for a session cookie and is not kept by this page.</p>`,
  );
}

export function teamsPage(teams: string[]): string {
  const items = teams.map((t) => `<li><a href="/dashboard/teams/${encodeURIComponent(t)}">${e(t)}</a></li>`).join('');
  return layout('Teams', `<h1>Teams</h1>${teams.length ? `<ul>${items}</ul>` : '<p class="muted">No team has a policy yet.</p>'}<p><a href="/admin/queues">Queues</a></p>`, { signedIn: true });
}
