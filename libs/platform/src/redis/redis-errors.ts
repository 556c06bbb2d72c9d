import { AppError, errorMessage } from '@ratchet/kernel';

/** Reply errors a server gives while it is loading, failing over or out of memory: worth a retry. */
const TRANSIENT_REPLIES = ['LOADING', 'BUSY', 'READONLY', 'MASTERDOWN', 'TRYAGAIN', 'CLUSTERDOWN', 'OOM'];

/**
 * `PLATFORM.REDIS_UNAVAILABLE` (retryable) for a lost connection or a transient reply;
 * `PLATFORM.REDIS_REJECTED` (not retryable) for a reply that will not change on retry
 * (`WRONGTYPE`, a script error).
 */
export function redisError(doing: string, err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = errorMessage(err);
  const rejected = err instanceof Error && err.name === 'ReplyError' && !TRANSIENT_REPLIES.some((p) => message.startsWith(p));
  return rejected
    ? new AppError('PLATFORM.REDIS_REJECTED', `${doing}: ${message}`, false, { cause: err })
    : new AppError('PLATFORM.REDIS_UNAVAILABLE', `${doing}: ${message}`, true, { cause: err });
}
