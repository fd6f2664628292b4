export * from './provider.js';
export * from './poll.js';
export * from './kling/adapter.js';
export * from './kling/auth.js';
export * from './kling/webhooks.js';
export * from './fake-kling/server.js';
