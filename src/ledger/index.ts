export * from './keys.js';
export * from './ledger.js';
export * from './reaper.js';
export * from './schema.js';
export { EncodedCandidate, type EncodedReserveInput } from './encoded-candidate.js';
export { SCRIPT_NAMES, scriptSource } from './scripts.js';
export * from './windows.js';
export * from './history.js';
export type { RejectResult } from './ops/reject.js';
