import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ConsumedMessage, EventLog, MessageBatch, Subscription } from '@ratchet/contracts';
import { deferred } from '../await-until';
import { uniqueName } from '../infra';

/** Opens a fresh client of the log under test; the suite closes it. */
export type EventLogFactory = () => Promise<EventLog>;

const TEST_TIMEOUT = { timeout: 60_000 };

/**
 * The behaviour every EventLog adapter must have. Run with the memory adapter in unit tests
 * and with the Kafka adapter against a real broker.
 */
export function describeEventLogContract(adapter: string, open: EventLogFactory): void {
  describe(`EventLog contract: ${adapter}`, () => {
    const logs: EventLog[] = [];
    const subscriptions: Subscription[] = [];
    const client = async (): Promise<EventLog> => {
      const log = await open();
      logs.push(log);
      return log;
    };
    after(async () => {
      await Promise.all(subscriptions.map((s) => s.close()));
      await Promise.all(logs.map((l) => l.close()));
    });

    /** Consumes until `count` messages arrived; resolves with them. */
    async function collect(log: EventLog, group: string, topics: string[], count: number, from?: 'earliest' | 'latest') {
      const received: ConsumedMessage[] = [];
      const done = deferred<ConsumedMessage[]>();
      const subscription = await log.consume({
        group,
        topics,
        ...(from ? { from } : {}),
        handle: async (batch) => {
          received.push(...batch.messages);
          if (received.length >= count) done.resolve(received);
        },
      });
      subscriptions.push(subscription);
      return { received: done.promise, subscription, all: received };
    }

    it('delivers every published message to a group with its key, value and headers', TEST_TIMEOUT, async () => {
      const log = await client();
      const topic = uniqueName('t');
      await log.ensureTopics([topic]);
      await log.publish(topic, [
        { key: 'ip:203.0.113.7', value: '{"n":1}', headers: { traceparent: '00-abc-def-01' } },
        { key: 'ip:198.51.100.1', value: '{"n":2}' },
      ]);
      const { received } = await collect(log, uniqueName('g'), [topic], 2);
      const byKey = new Map((await received).map((m) => [m.key, m]));
      assert.equal(byKey.get('ip:203.0.113.7')?.value, '{"n":1}');
      assert.equal(byKey.get('ip:203.0.113.7')?.headers['traceparent'], '00-abc-def-01');
      assert.equal(byKey.get('ip:198.51.100.1')?.value, '{"n":2}');
      assert.equal(byKey.get('ip:198.51.100.1')?.topic, topic);
    });

    it('keeps the order of messages with the same key', TEST_TIMEOUT, async () => {
      const log = await client();
      const topic = uniqueName('t');
      await log.ensureTopics([topic]);
      const keys = ['a', 'b', 'c', 'd', 'e'];
      const messages = Array.from({ length: 250 }, (_, i) => ({ key: keys[i % keys.length] as string, value: String(i) }));
      await log.publish(topic, messages.slice(0, 100));
      await log.publish(topic, messages.slice(100));
      const { received } = await collect(log, uniqueName('g'), [topic], messages.length);
      const got = await received;
      for (const key of keys) {
        const values = got.filter((m) => m.key === key).map((m) => Number(m.value));
        assert.deepEqual(values, messages.filter((m) => m.key === key).map((m) => Number(m.value)), `order of key ${key}`);
      }
    });

    it('gives each group its own copy of the stream', TEST_TIMEOUT, async () => {
      const log = await client();
      const topic = uniqueName('t');
      await log.ensureTopics([topic]);
      await log.publish(topic, [{ key: 'k', value: 'one' }, { key: 'k', value: 'two' }]);
      const first = await collect(log, uniqueName('g1'), [topic], 2);
      const second = await collect(log, uniqueName('g2'), [topic], 2);
      assert.deepEqual((await first.received).map((m) => m.value), ['one', 'two']);
      assert.deepEqual((await second.received).map((m) => m.value), ['one', 'two']);
    });

    it('redelivers a batch whose handler failed, so nothing is lost', TEST_TIMEOUT, async () => {
      const log = await client();
      const topic = uniqueName('t');
      await log.ensureTopics([topic]);
      await log.publish(topic, [{ key: 'k', value: 'must-survive' }]);
      let attempts = 0;
      const handled = deferred<string>();
      subscriptions.push(
        await log.consume({
          group: uniqueName('g'),
          topics: [topic],
          handle: async (batch: MessageBatch) => {
            attempts++;
            if (attempts === 1) throw new Error('effect failed');
            handled.resolve(batch.messages.map((m) => m.value).join());
          },
        }),
      );
      assert.equal(await handled.promise, 'must-survive');
      assert.ok(attempts >= 2);
    });

    it('resumes a group after its last committed offset', TEST_TIMEOUT, async () => {
      const log = await client();
      const topic = uniqueName('t');
      const group = uniqueName('g');
      await log.ensureTopics([topic]);
      await log.publish(topic, [{ key: 'k', value: 'before-1' }, { key: 'k', value: 'before-2' }]);
      const first = await collect(log, group, [topic], 2);
      assert.deepEqual((await first.received).map((m) => m.value), ['before-1', 'before-2']);
      await first.subscription.close();

      await log.publish(topic, [{ key: 'k', value: 'after' }]);
      const second = await collect(log, group, [topic], 1);
      assert.deepEqual((await second.received).map((m) => m.value), ['after']);
    });

    it('starts a new group at the end of the log when asked for the latest messages', TEST_TIMEOUT, async () => {
      const log = await client();
      const topic = uniqueName('t');
      await log.ensureTopics([topic]);
      await log.publish(topic, [{ key: 'k', value: 'old' }]);
      const latest = await collect(log, uniqueName('g'), [topic], 1, 'latest');
      await log.publish(topic, [{ key: 'k', value: 'new' }]);
      assert.deepEqual((await latest.received).map((m) => m.value), ['new']);
    });

    it('shares the partitions of a topic among the members of one group', TEST_TIMEOUT, async () => {
      const log = await client();
      const topic = uniqueName('t');
      const group = uniqueName('g');
      await log.ensureTopics([topic]);
      const seen = new Set<string>();
      const all = deferred();
      const expected = 100;
      const handle = async (batch: MessageBatch): Promise<void> => {
        for (const m of batch.messages) seen.add(m.value);
        if (seen.size >= expected) all.resolve();
      };
      subscriptions.push(await log.consume({ group, topics: [topic], handle }));
      subscriptions.push(await log.consume({ group, topics: [topic], handle }));
      await log.publish(topic, Array.from({ length: expected }, (_, i) => ({ key: `key-${i}`, value: String(i) })));
      await all.promise;
      assert.equal(seen.size, expected);
    });
  });
}
