// The wait part of bench/api's load, from its own process: BENCH_COUNT requests to BENCH_URL at
// BENCH_RATE a second (open loop), job ids `${BENCH_TAG}-${i}`. Prints one JSON line: latencies,
// failures, and each request's [id, due, answered] in epoch milliseconds (the bench's clock too).
import { JOB, openLoop, type Trace } from './api.js';

const [url, key, rate, count, tag] = [process.env.BENCH_URL!, process.env.BENCH_KEY!, Number(process.env.BENCH_RATE), Number(process.env.BENCH_COUNT), process.env.BENCH_TAG!];
const traces = new Map<string, Trace>();
const idOf = (i: number) => `${tag}-${i}`;
const post = (i: number) => fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-bench-id': idOf(i) }, body: JSON.stringify({ ...JOB, id: idOf(i) }) });
const r = await openLoop(count, rate, post, traces, idOf);
process.stdout.write(JSON.stringify({ ...r, traces: [...traces].map(([id, t]) => [id, t.due, t.answered ?? null]) }) + '\n');
