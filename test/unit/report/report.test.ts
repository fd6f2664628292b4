import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { money } from '../../../src/money.js';
import type { HistoryRow, TopJob } from '../../../src/ledger/history.js';
import { buildReport, Report } from '../../../src/report/report.js';
import { csvText, reportCsv } from '../../../src/report/csv.js';
import { reportHtml } from '../../../src/report/html.js';

const m = (s: string) => money(s);
function row(day: string, project: string, model: string, f: Partial<HistoryRow> = {}): HistoryRow {
  return {
    day, project, model,
    reserved: m('0'), committed: m('0'), released: m('0'), committedBeyondReserve: m('0'), reconciled: m('0'),
    actual: m('0'), estimate: m('0'), uncharged: m('0'),
    jobs: { admitted: 0, downgraded: 0, completed: 0, released: 0, expired: 0 },
    rejected: new Map(), savings: new Map(),
    ...f,
  };
}
const jobs = (completed: number, admitted = completed) => ({ admitted, downgraded: 0, completed, released: 0, expired: 0 });
const ROWS: HistoryRow[] = [
  row('2026-11-01', 'trailer', 'kling-3.0', { reserved: m('10'), committed: m('7.5'), released: m('2.5'), actual: m('7.5'), estimate: m('7'), jobs: jobs(2), savings: new Map([['staging', m('1.25')]]) }),
  row('2026-11-01', 'teaser', 'kling-o3', { reserved: m('3'), committed: m('3'), actual: m('3'), estimate: m('3.2'), reconciled: m('-0.1'), jobs: jobs(1), savings: new Map([['cheaper-model', m('4')], ['staging', m('0.75')]]) }),
  row('2026-11-03', 'trailer', 'kling-o3', { reserved: m('0.333333'), committed: m('0.333333'), actual: m('0.333333'), estimate: m('0.333333'), jobs: jobs(1) }),
  row('2026-11-03', '-', '-', { rejected: new Map([['no-project-budget', 2]]) }),
  row('2026-11-03', 'trailer', 'kling-3.0', { rejected: new Map([['insufficient-budget', 3]]) }),
];
const TOP: TopJob[] = [{ month: '2026-11', project: 'trailer', model: 'kling-3.0', jobId: 'shot-7', reservationId: 'jabc', cost: m('4.5') }];

describe('buildReport', () => {
  const r = buildReport({ team: 'studio', from: '2026-11-01', to: '2026-11-30' }, ROWS, TOP);

  it('sums to the micro-unit, by project, model and day, and keeps rejections out of the spend tables', () => {
    expect(Report.parse(r)).toEqual(r);
    expect(r.totals).toMatchObject({ spent: '10.733333', committed: '10.833333', reconciled: '-0.10', reserved: '13.333333', released: '2.50', actual: '10.833333', estimate: '10.533333', variance: '0.30', saved: '6.00' });
    expect(r.totals.jobs).toEqual({ admitted: 4, downgraded: 0, completed: 4, released: 0, expired: 0, rejected: 5 });
    expect(r.byProject.map((p) => [p.project, p.spent, p.variance])).toEqual([['trailer', '7.833333', '0.50'], ['teaser', '2.90', '-0.20']]);
    expect(r.byModel.map((x) => [x.model, x.spent])).toEqual([['kling-3.0', '7.50'], ['kling-o3', '3.233333']]);
    expect(r.byProjectModel.map((x) => `${x.project}/${x.model}`)).toEqual(['trailer/kling-3.0', 'teaser/kling-o3', 'trailer/kling-o3']);
    expect(r.byDay).toEqual([{ day: '2026-11-01', spent: '10.40', saved: '6.00' }, { day: '2026-11-03', spent: '0.333333', saved: '0.00' }]);
    expect(r.savings).toEqual([{ rule: 'cheaper-model', amount: '4.00' }, { rule: 'staging', amount: '2.00' }]);
    expect(r.rejections).toEqual([{ code: 'insufficient-budget', count: 3 }, { code: 'no-project-budget', count: 2 }]);
    expect(r.topJobs).toEqual([{ month: '2026-11', project: 'trailer', model: 'kling-3.0', jobId: 'shot-7', reservationId: 'jabc', cost: '4.50' }]);
  });

  it('an empty span is a report of zeros', () => {
    const empty = buildReport({ team: 'studio', project: 'trailer', from: '2026-01-01', to: '2026-01-01' }, [], []);
    expect(empty.totals).toMatchObject({ spent: '0.00', variance: '0.00', jobs: { admitted: 0, rejected: 0 } });
    expect([empty.byProject, empty.savings, empty.topJobs]).toEqual([[], [], []]);
    expect(reportHtml(empty)).toContain('nothing in this span');
  });
});

// Names the ledger never admits, as a report built from a tampered Redis could still hold them.
const HOSTILE = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'; background:url(http://evil.test/x)", '=HYPERLINK("http://evil.test","x")', '+cmd|calc', '-2+3', '@SUM(A1)', 'a,b\r\n"c"'];
function hostileReport(): Report {
  const base = buildReport({ team: 'studio', from: '2026-11-01', to: '2026-11-30' }, ROWS, TOP);
  return {
    ...base,
    team: HOSTILE[0]!,
    byProject: HOSTILE.map((project) => ({ ...base.byProject[0]!, project })),
    byModel: HOSTILE.map((model) => ({ ...base.byModel[0]!, model })),
    byProjectModel: HOSTILE.map((project, i) => ({ ...base.byProjectModel[0]!, project, model: HOSTILE[(i + 1) % HOSTILE.length]! })),
    savings: HOSTILE.map((rule) => ({ rule, amount: '1.00' })),
    rejections: HOSTILE.map((code) => ({ code, count: 1 })),
    topJobs: HOSTILE.map((jobId) => ({ ...base.topJobs[0]!, jobId, project: jobId })),
  };
}

describe('html', () => {
  it('is one self-contained page: a strict CSP, inline style by hash, no script, no other host', () => {
    const html = reportHtml(buildReport({ team: 'studio', from: '2026-11-01', to: '2026-11-30' }, ROWS, TOP));
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;sha256-[A-Za-z0-9+/]+=*&#39;; img-src data:;/);
    expect(html).not.toMatch(/<script|<link|<iframe|@import|url\(|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i);
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(4);
    expect(html).toContain('shot-7');
    // The style sheet's hash in the policy is the hash of the style element's text.
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(html).toContain(`sha256-${createHash('sha256').update(css).digest('base64')}`);
  });

  it('escapes every name, in text and attributes', () => {
    const html = reportHtml(hostileReport());
    expect(html).not.toMatch(/<script>alert|<img |onerror=alert\(1\)>/);
    // The would-be style only ever appears as escaped text.
    expect(html.split('url(http').length - 1).toBe(html.split('&#39;; background:url(http').length - 1);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    // Outside the escaped names the page's tags are only its own.
    const tags = new Set([...html.matchAll(/<([a-z0-9]+)/gi)].map((t) => t[1]!.toLowerCase()));
    expect([...tags].sort()).toEqual(['body', 'figcaption', 'figure', 'h1', 'h2', 'head', 'html', 'meta', 'p', 'rect', 'style', 'svg', 'table', 'tbody', 'td', 'text', 'th', 'thead', 'title', 'tr'].sort());
  });
});

describe('csv', () => {
  it('quotes as RFC 4180 says and never lets a cell become a formula', () => {
    expect(csvText('plain')).toBe('plain');
    expect(csvText('a,b')).toBe('"a,b"');
    expect(csvText('say "hi"')).toBe('"say ""hi"""');
    expect(csvText('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvText('=1+1')).toBe("'=1+1");
    expect(csvText('+1')).toBe("'+1");
    expect(csvText('-1')).toBe("'-1");
    expect(csvText('@A1')).toBe("'@A1");
    expect(csvText('\t=1')).toBe("'\t=1");
    expect(csvText('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
  });

  it('one figure per CRLF line; hostile names stay text; negative amounts stay numbers', () => {
    const text = reportCsv(hostileReport());
    expect(text.endsWith('\r\n')).toBe(true);
    const lines = parseCsv(text);
    expect(lines[0]).toEqual(['section', 'project', 'model', 'item', 'measure', 'value']);
    expect(lines.every((l) => l.length === 6)).toBe(true);
    for (const l of lines) for (const cell of l.slice(0, 5)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    expect(lines).toContainEqual(['total', '', '', '', 'reconciled', '-0.10']);
    expect(lines).toContainEqual(['spend', "'=HYPERLINK(\"http://evil.test\",\"x\")", "'+cmd|calc", '', 'spent', '7.50']);
    expect(lines).toContainEqual(['savings', '', '', 'a,b\r\n"c"', 'saved', '1.00']);
  });
});

/** A small RFC 4180 reader for the test: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') record.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') record.push(field), records.push(record), (record = []), (field = ''), i++;
    else field += c;
  }
  return records;
}
