// Writes policies/policy.schema.json from the zod schema, for editor completion of policy files.
// `npm run schema` regenerates it; a test fails when the committed file is out of date.
import { writeFileSync } from 'node:fs';
import { policyJsonSchema } from '../src/policy/json-schema.js';

const target = process.argv[2] ?? 'policies/policy.schema.json';
writeFileSync(target, `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
