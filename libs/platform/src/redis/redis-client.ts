import type { RedisOptions } from 'ioredis';
import { Redis } from 'ioredis';
import { AppError, errorMessage } from '@ratchet/kernel';

/**
 * Connection options shared by every Ratchet Redis client. A command waits in the offline
 * queue across at most two reconnects, then fails, so a Redis outage surfaces as a retryable
 * error instead of a hang.
 */
export function redisClientOptions(name: string): RedisOptions {
  return {
    connectionName: name,
    lazyConnect: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 2,
    /** After a failover the old primary answers READONLY; reconnecting finds the new one. */
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
  };
}

/**
 * Connects to `url` (`redis://host:port/db`) under `name` (shown by `CLIENT LIST`) and resolves
 * once the server is ready. Fails fast with `PLATFORM.REDIS_UNAVAILABLE` (retryable) if the first
 * connection attempt fails, so a process does not start against an unreachable Redis.
 */
export async function createRedisClient(url: string, name: string): Promise<Redis> {
  const client = new Redis(url, redisClientOptions(name));
  try {
    await new Promise<void>((resolve, reject) => {
      const ready = (): void => (client.off('error', failed).off('end', ended), resolve());
      const failed = (err: Error): void => (client.off('ready', ready).off('end', ended), reject(err));
      const ended = (): void => (client.off('ready', ready).off('error', failed), reject(new Error('connection closed')));
      client.once('ready', ready).once('error', failed).once('end', ended);
    });
    return client;
  } catch (err) {
    client.disconnect();
    throw new AppError('PLATFORM.REDIS_UNAVAILABLE', `connecting to Redis as ${name}: ${errorMessage(err)}`, true, { cause: err });
  }
}

/** Quits gracefully when connected; otherwise drops the connection and stops reconnecting. */
export async function closeRedisClient(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
  } else if (client.status !== 'end') {
    client.disconnect();
  }
}
