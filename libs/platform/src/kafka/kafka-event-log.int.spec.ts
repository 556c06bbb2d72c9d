import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import type { ConsumedMessage, Subscription } from '@ratchet/contracts';
import { deferred, describeEventLogContract, testInfra, uniqueName } from '@ratchet/testing';
import { KafkaEventLog } from './kafka-event-log';

const { kafkaBrokers } = testInfra();
const openLog = (topicPrefix = `${uniqueName('ratchet')}.`): KafkaEventLog =>
  new KafkaEventLog({ brokers: kafkaBrokers, clientId: uniqueName('kafka-event-log-test'), topicPrefix });

describeEventLogContract('kafka', async () => openLog());

describe('KafkaEventLog', () => {
  const logs: KafkaEventLog[] = [];
  const subscriptions: Subscription[] = [];
  const log = (topicPrefix?: string): KafkaEventLog => {
    const opened = openLog(topicPrefix);
    logs.push(opened);
    return opened;
  };
  after(async () => {
    await Promise.all(subscriptions.map((s) => s.close()));
    await Promise.all(logs.map((l) => l.close()));
  });

  /** Collects messages of `topic` until one has the value `last`. */
  async function consumeUntil(from: KafkaEventLog, topic: string, last: string): Promise<ConsumedMessage[]> {
    const received: ConsumedMessage[] = [];
    const done = deferred<ConsumedMessage[]>();
    subscriptions.push(
      await from.consume({
        group: uniqueName('g'),
        topics: [topic],
        handle: async (batch) => {
          received.push(...batch.messages);
          if (batch.messages.some((m) => m.value === last)) done.resolve(received);
        },
      }),
    );
    return done.promise;
  }

  it('lets services that start together each ensure overlapping topics', { timeout: 60_000 }, async () => {
    // As collector, scorer and enforcer do: each creates its own topics and those it shares.
    const prefix = `${uniqueName('together')}.`;
    const [collector, scorer, enforcer] = [log(prefix), log(prefix), log(prefix)];
    await Promise.all([
      collector.ensureTopics(['auth.events', 'auth.events.dlq']),
      scorer.ensureTopics(['auth.events', 'auth.events.dlq', 'risk.signals', 'risk.scores']),
      enforcer.ensureTopics(['risk.scores', 'risk.scores.dlq', 'enforcement.actions']),
    ]);
    await enforcer.publish('enforcement.actions', [{ key: 'ip:203.0.113.7', value: 'deny' }]);
    const received = await consumeUntil(scorer, 'enforcement.actions', 'deny');
    assert.deepEqual(received.map((m) => m.key), ['ip:203.0.113.7']);
  });

  it('keeps the topics of one prefix invisible to a log with another prefix', { timeout: 60_000 }, async () => {
    const [minePrefix, theirsPrefix] = [`${uniqueName('mine')}.`, `${uniqueName('theirs')}.`];
    const [mine, theirs] = [log(minePrefix), log(theirsPrefix)];
    const topic = 'auth.events';
    await theirs.publish(topic, [{ key: 'k', value: 'theirs' }]);
    await mine.publish(topic, [{ key: 'k', value: 'mine' }, { key: 'k', value: 'mine-last' }]);

    const received = await consumeUntil(mine, topic, 'mine-last');
    assert.deepEqual(received.map((m) => m.value), ['mine', 'mine-last']);
    assert.ok(received.every((m) => m.topic === topic));

    const admin = new Kafka({ brokers: kafkaBrokers, clientId: uniqueName('admin'), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      assert.ok(topics.includes(`${minePrefix}${topic}`));
      assert.ok(topics.includes(`${theirsPrefix}${topic}`));
      assert.ok(!topics.includes(topic));
    } finally {
      await admin.disconnect();
    }
  });

  it('carries the publisher timestamp, headers and a numeric string offset to the consumer', { timeout: 60_000 }, async () => {
    const l = log();
    const topic = uniqueName('t');
    const timestamp = Date.parse('2026-11-24T10:00:00Z');
    await l.publish(topic, [{ key: 'k', value: 'v', timestamp, headers: { 'content-type': 'application/json' } }]);
    const [message] = await consumeUntil(l, topic, 'v');
    assert.equal(message?.timestamp, timestamp);
    assert.equal(message?.headers['content-type'], 'application/json');
    assert.match(message?.offset ?? '', /^\d+$/);
  });
});
