export * from './client.js';
export * from './connection.js';
export * from './names.js';
export * from './records.js';
export * from './runtime.js';
