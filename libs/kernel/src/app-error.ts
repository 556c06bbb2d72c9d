/**
 * Base of every exceptional outcome. `code` is stable and operator-facing
 * (`CONTRACTS.INVALID_EVENT`); `retryable` tells consumers whether to back off and retry
 * or to dead-letter the input with the message as reason.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
