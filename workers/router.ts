// Process entry point: the router alone (decisions), configured from the environment
// (REDIS_URL; VIDGATE_POLICIES, a directory of policy files to apply first: without it the
// router runs on the policies in Redis). `vidgate worker --router-only` is the same with flags.
import { main } from '../src/cli/main.js';

const policies = process.env.VIDGATE_POLICIES ? ['--policies', process.env.VIDGATE_POLICIES] : [];
await main([process.argv[0]!, 'vidgate', 'worker', '--router-only', ...policies, ...process.argv.slice(2)]);
