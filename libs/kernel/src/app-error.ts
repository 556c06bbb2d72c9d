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

/**
 * Why a file or system call failed, as briefly as an operator needs it beside the path: the code a
 * Node system error carries (`ENOENT`, `EACCES`), else the error's message. Read without Node's
 * types, so the kernel stays free of them.
 */
export function errorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : errorMessage(err);
}
