// `npm run demo`: prices the reference document's production examples from the default rate card.
import { table } from '../src/cli/table.js';
import { formatMoney } from '../src/money.js';
import { compare, estimate } from '../src/pricing/estimate.js';
import { loadRateCard } from '../src/pricing/rate-cards.js';

const card = loadRateCard();
const out = (s: string) => process.stdout.write(`${s}\n`);

out(`vidgate demo — rate card ${card.id} (${card.currency}), ${card.source}\n`);
out('1080p with audio, 10-second clips:');
out(
  table(
    ['clips', 'kling-o3', 'kling-3.0', 'delta'],
    [100, 500, 1000].map((n) => {
      const [o3, v3] = compare({ model: 'kling-o3', resolution: '1080p', audio: true, durationSeconds: 10 }, ['kling-o3', 'kling-3.0'], card, n);
      return [String(n), formatMoney(o3!.total), formatMoney(v3!.total), formatMoney(v3!.deltaTotal)];
    }),
    new Set([0, 1, 2, 3]),
  ),
);
out('\nkling-o1 image-to-video, 10-second clips:');
out(
  table(
    ['clips', 'total'],
    [100, 500, 1000].map((n) => [String(n), formatMoney(estimate({ model: 'kling-o1', resolution: '1080p', audio: false, durationSeconds: 10 }, card, n).total)]),
    new Set([0, 1]),
  ),
);
const mc = estimate({ model: 'kling-motion-control', resolution: '1080p', audio: false, durationSeconds: 30, reference: { kind: 'video' } }, card);
out(`\nLongest single generation: kling-motion-control, 30 s video reference, 1080p = ${formatMoney(mc.total)}`);
