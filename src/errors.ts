export interface ErrorDetails {
  where?: string;
  allowed?: string;
  /** The first bad field's path (`rules.maxJobCost`) and line, for a service's error body. */
  field?: string;
  line?: number;
}

/**
 * Errors a user can act on. `where` points at the bad thing (a flag, a file and field path,
 * a job line); `allowed` says what would have been accepted. The CLI prints these and exits 2.
 */
export class InputError extends Error {
  override readonly name: string = 'InputError';
  constructor(
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }
}

/** A job that cannot be priced: unknown combination, duration out of range, audio not offered. */
export class PricingError extends InputError {
  override readonly name = 'PricingError';
}

/** A policy file (or policy object) that does not validate. */
export class PolicyError extends InputError {
  override readonly name = 'PolicyError';
}

/** A service vidgate needs is not there (Redis, the provider): the message says what to start. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
}
