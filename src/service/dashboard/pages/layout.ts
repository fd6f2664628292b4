import { escapeHtml } from '../../../report/escape.js';

/**
 * Every dashboard page's Content-Security-Policy: its own style sheet and script only (no inline
 * script, no other host), inline SVG only as markup, forms and live updates to this origin only.
 */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const e = escapeHtml;

export function layout(title: string, body: string, nav: { team?: string | null; signedIn: boolean } = { signedIn: false }): string {
  const links = nav.signedIn
    ? `<nav>${nav.team ? `<a href="/dashboard/teams/${encodeURIComponent(nav.team)}">${e(nav.team)}</a> <a href="/dashboard/teams/${encodeURIComponent(nav.team)}/policy">policy</a> ` : ''}<a href="/dashboard">teams</a> <form method="post" action="/dashboard/logout" class="inline"><button>Sign out</button></form></nav>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${e(title)} · vidgate</title>
<link rel="stylesheet" href="/dashboard/assets/app.css">
<script src="/dashboard/assets/live.js" defer></script>
</head>
<body>
<header><strong>vidgate</strong> ${links}</header>
<main>
${body}
</main>
</body>
</html>
`;
}

export function table(headers: string[], rows: string[][], attrs = ''): string {
  const head = headers.map((h) => `<th>${e(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table${attrs}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}
