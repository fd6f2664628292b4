// Process entry point: the generator alone (provider and settlement), configured from the
// environment (REDIS_URL, KLING_*). `vidgate worker --generator-only` is the same.
import { main } from '../src/cli/main.js';

await main([process.argv[0]!, 'vidgate', 'worker', '--generator-only', ...process.argv.slice(2)]);
