/**
 * pino with redaction configured, so a token can reach a log line only if someone logs it under
 * a key nobody thought of; tests scan captured logs for every configured token.
 */
import { createRequire } from 'node:module';
import { pino, type Logger, type DestinationStream } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

const REDACT_PATHS = [
  'token',
  '*.token',
  'accessToken',
  'refreshToken',
  '*.accessToken',
  '*.refreshToken',
  'access_token',
  'refresh_token',
  'headers.authorization',
  'headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'request.headers.authorization',
  'request.headers["x-api-key"]',
];

export type LogFormat = 'json' | 'pretty';

export function createLogger(options: { level: string; name?: string; destination?: DestinationStream; format?: LogFormat }): Logger {
  // Pretty output goes through the same redaction: pino redacts before any stream sees a line.
  const destination =
    options.format === 'pretty'
      ? loadPretty()({ colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', destination: 1 })
      : options.destination;
  return pino(
    {
      level: options.level,
      name: options.name,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
    },
    destination,
  );
}

/** Loaded only for pretty output: a node logging JSON (a server, a container) never pays its memory. */
function loadPretty(): typeof PinoPretty {
  return createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
}
