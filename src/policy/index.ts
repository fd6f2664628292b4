export * from './decision.js';
export * from './ladder.js';
export * from './load.js';
export * from './schema.js';
export * from './types.js';
export * from './savings.js';
