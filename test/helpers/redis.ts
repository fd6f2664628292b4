import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

export function redisUrl(): string {
  return inject('redisUrl');
}

/** A fresh name for a test's keys, so tests share one server without seeing each other. */
export function uniquePrefix(label = 't'): string {
  return `vgtest-${label}-${randomUUID().slice(0, 8)}`;
}

export function connect(url = redisUrl()): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}
