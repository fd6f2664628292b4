import type { PolicyVersionMeta, StoredPolicy } from '../../policy-source.js';
import { e, layout, table } from './layout.js';

export interface QuoteShown {
  /** The job as typed. */
  text: string;
  /** The quote's answer, or what was wrong with the job. */
  result: { ok: true; outcome: string; cost: string | null; variant: string; reasons: string[]; rules: string[] } | { ok: false; error: string };
}

const EXAMPLE = (team: string, project: string) => JSON.stringify({ team, project, model: 'kling-3.0', resolution: '1080p', audio: 'required', durationSeconds: 10, prompt: 'a lighthouse in a storm' }, null, 2);

export function policyPage(team: string, current: StoredPolicy, history: PolicyVersionMeta[], csrf: string, quote?: QuoteShown): string {
  const project = Object.keys(current.active.policy.budgets.projects)[0] ?? 'project';
  const q = quote?.result;
  const answer = !q
    ? ''
    : q.ok
      ? `<div class="card" id="quote-result"><p><strong data-k="outcome">${e(q.outcome)}</strong> · cost <span data-k="cost">${e(q.cost ?? '—')}</span> · ${e(q.variant)}</p><ul>${[...q.rules, ...q.reasons].map((x) => `<li>${e(x)}</li>`).join('')}</ul></div>`
      : `<p class="error" role="alert" id="quote-result">${e(q.error)}</p>`;
  const body = `<h1>Policy of ${e(team)}</h1>
<p>Version ${e(String(current.version))} (${e(current.digest)}), by ${e(current.by)} at ${e(current.at)}, from ${e(current.origin)}</p>
<details open><summary>Current policy</summary><pre id="policy-source">${e(current.source)}</pre></details>
<h2>History</h2>
${table(['version', 'digest', 'by', 'at', 'origin'], history.map((h) => [String(h.version), h.digest, h.by, h.at, h.origin]))}
<h2>What would quote do?</h2>
<form method="post" action="/dashboard/teams/${e(encodeURIComponent(team))}/policy/quote" class="card">
<input type="hidden" name="csrf" value="${e(csrf)}">
<label>Job (JSON, as POST /v1/quote takes it)<textarea name="job" rows="10" maxlength="20000">${e(quote?.text ?? EXAMPLE(team, project))}</textarea></label>
<button>Quote</button>
</form>
${answer}`;
  return layout(`Policy of ${team}`, body, { team, signedIn: true });
}
