/**
 * One error base with a stable code and an HTTP status. The node maps these to the provider's
 * error JSON in exactly one place (node/error-reply.ts).
 */
export type ErrorKind =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error'
  | 'loop_detected';

export class QuotaMeshError extends Error {
  readonly code: string;
  readonly status: number;
  readonly kind: ErrorKind;
  /** Seconds the client should wait before retrying (429/503). */
  readonly retryAfterSeconds: number | undefined;
  /** Unix seconds when capacity is expected back (an exhausted pool's earliest reset). */
  readonly retryAt: number | undefined;

  constructor(
    code: string,
    status: number,
    kind: ErrorKind,
    message: string,
    options: { cause?: unknown; retryAfterSeconds?: number; retryAt?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'QuotaMeshError';
    this.code = code;
    this.status = status;
    this.kind = kind;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.retryAt = options.retryAt;
  }
}

/** A config problem: fatal at start, printed with its JSON path, exit code 2. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
