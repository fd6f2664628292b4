// The dashboard's only style sheet and script, served from this package (/dashboard/assets/…)
// so the pages' CSP can forbid inline code and every other host.

export const APP_CSS = `*{box-sizing:border-box}body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1e2330;background:#f7f8fb}
header{display:flex;gap:1em;align-items:center;flex-wrap:wrap;padding:.6em 1em;background:#1e2330;color:#fff}
header a{color:#cfe0ff;margin-right:.8em}nav{display:flex;flex-wrap:wrap;align-items:center;gap:.2em}
main{max-width:72em;margin:0 auto;padding:1em}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;background:#fff}
th,td{padding:.3em .6em;border-bottom:1px solid #e3e6ee;text-align:left;vertical-align:top}
td[data-k]{font-variant-numeric:tabular-nums}td[data-k=explanation]{max-width:28em;font-size:.9em}
.card{background:#fff;border:1px solid #e3e6ee;border-radius:6px;padding:1em;margin:1em 0}
label{display:block;margin:.4em 0}input,select,textarea,button{font:inherit;padding:.3em .5em}
textarea{width:100%;font-family:ui-monospace,monospace}pre{background:#fff;border:1px solid #e3e6ee;padding:1em;overflow-x:auto}
.filters{display:flex;flex-wrap:wrap;gap:.8em;align-items:end}.filters label{margin:0}
.inline{display:inline}.muted{color:#6b7385;font-weight:normal;font-size:.85em}.error{color:#b3261e;font-weight:600}
figure{margin:.8em 0}figcaption{font-weight:600}svg{max-width:100%;height:auto}svg text{font:12px system-ui,sans-serif;fill:#1e2330}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(20em,1fr));gap:0 1.5em}
@media (max-width:40em){td[data-k=explanation]{display:none}main{padding:.5em}}`;

/**
 * Live updates over Server-Sent Events: each "overview" event carries the budgets' figures and
 * the latest jobs; the page's cells and rows are rebuilt with textContent (never as HTML), and
 * the filters apply to the rows as they arrive.
 */
export const LIVE_JS = `(() => {
  const jobs = document.getElementById('jobs');
  if (!jobs || !window.EventSource) return;
  const body = jobs.tBodies[0];
  const form = document.getElementById('filters');
  const state = document.getElementById('live-state');
  const cols = ['id', 'project', 'state', 'decision', 'explanation', 'variant', 'cost'];
  let rows = null;
  const wanted = (r) => {
    if (!form) return true;
    const f = new FormData(form);
    const d = String(f.get('decision') || '').toLowerCase();
    return (!f.get('project') || r.project === f.get('project')) && (!f.get('state') || r.state === f.get('state')) && (!d || r.decision.toLowerCase().includes(d));
  };
  const draw = () => {
    if (!rows) return;
    const out = document.createDocumentFragment();
    for (const r of rows.filter(wanted)) {
      const tr = document.createElement('tr');
      tr.dataset.job = r.id;
      for (const k of cols) { const td = document.createElement('td'); td.dataset.k = k; td.textContent = r[k]; tr.appendChild(td); }
      out.appendChild(tr);
    }
    body.replaceChildren(out);
  };
  if (form) { form.addEventListener('change', draw); form.addEventListener('input', draw); }
  const source = new EventSource(jobs.dataset.live);
  source.addEventListener('overview', (ev) => {
    const o = JSON.parse(ev.data);
    for (const b of o.burns) {
      const tr = document.querySelector('tr[data-scope="' + CSS.escape(b.scope + ':' + b.name) + '"]');
      if (!tr) continue;
      for (const k of ['limit', 'spent', 'held', 'available', 'projected']) { const td = tr.querySelector('td[data-k=' + k + ']'); if (td) td.textContent = b[k] === null ? '—' : b[k]; }
    }
    rows = o.jobs;
    draw();
    if (state) state.textContent = 'live · ' + new Date().toLocaleTimeString();
  });
  source.addEventListener('error', () => { if (state) state.textContent = 'reconnecting…'; });
})();
`;
