// Process entry point: the router alone (decisions), configured from the environment
// (REDIS_URL, VIDGATE_POLICIES). `vidgate worker --router-only` is the same with flags.
import { main } from '../src/cli/main.js';

await main([process.argv[0]!, 'vidgate', 'worker', '--router-only', '--policies', process.env.VIDGATE_POLICIES ?? 'policies', ...process.argv.slice(2)]);
