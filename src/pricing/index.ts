export * from './rate-card-schema.js';
export * from './rate-cards.js';
export * from './price.js';
export * from './estimate.js';
