import type { HttpClient } from './http';
import type { TrafficGenerator } from './traffic';

/**
 * Posts `count` events to POST /v1/events as NDJSON bodies of `batch` events, `concurrency`
 * requests in flight; resolves when the collector has answered 202 to all of them.
 */
export async function postNdjsonEvents(client: HttpClient, traffic: TrafficGenerator, count: number, options: { batch: number; concurrency: number }): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const size = Math.min(options.batch, count - next);
      next += size;
      const response = await client.postNdjson('/v1/events', traffic.ndjson(size));
      if (response.status !== 202) throw new Error(`POST /v1/events answered ${response.status}: ${response.body.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
}
