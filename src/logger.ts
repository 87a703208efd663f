import { type Logger, type LoggerOptions, pino } from 'pino';

/**
 * Paths that may carry a secret anywhere in a log object. Camera credentials, user passwords and tokens
 * are censored; URLs are logged without their query string by the HTTP layer.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'newPassword',
  '*.newPassword',
  'credentials',
  '*.credentials',
  '*.*.credentials',
  'token',
  '*.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'xueliang', pid: process.pid },
  };
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
