import { z } from 'zod';
import { Policy } from './schema.js';

/** The JSON Schema of a policy file, as a YAML editor would use it. */
export function policyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(Policy, { io: 'input', unrepresentable: 'any' }),
    title: 'vidgate team spend policy',
    $id: 'https://vidgate.dev/schemas/policy.schema.json',
  };
}
