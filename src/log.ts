import { pino, type Logger } from 'pino';

/** Structured logs on stderr (stdout is for what a command prints); level from VIDGATE_LOG_LEVEL. */
export function createLogger(name: string, level = process.env.VIDGATE_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, redact: ['*.apiKey', '*.secretKey', '*.authorization', 'credentials'] }, pino.destination(2));
}
