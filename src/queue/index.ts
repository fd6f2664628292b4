export * from './client.js';
export * from './connection.js';
export * from './names.js';
export * from './records.js';
export * from './runtime.js';
export { queueStanding, type QueueStanding } from './scheduler/standing.js';
export { AccountScheduler, accountKeys } from './scheduler/account.js';
