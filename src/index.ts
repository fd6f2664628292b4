// The public API of vidgate.
export * from './catalog.js';
export * from './errors.js';
export * from './job.js';
export * from './money.js';
export * from './pricing/index.js';
export * from './ledger/index.js';
export * from './names.js';
export * from './policy/index.js';
export * from './providers/index.js';
export * from './queue/index.js';
export * from './webhooks/index.js';
