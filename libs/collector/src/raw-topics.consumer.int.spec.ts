import { describe, it } from 'node:test';
import { KafkaEventLog } from '@ratchet/platform/services';
import { testInfra, uniqueName } from '@ratchet/testing';
import { runRawTopicsScenario } from './testing/raw-topics.scenario';

describe('RawTopicsConsumer on Kafka', () => {
  it('parses, resolves, enriches and publishes raw records, dead-letters refusals, counts them and commits', { timeout: 120_000 }, async () => {
    const log = new KafkaEventLog({ brokers: testInfra().kafkaBrokers, clientId: uniqueName('raw-topics-test'), topicPrefix: `${uniqueName('ratchet')}.` });
    try {
      await runRawTopicsScenario(log, uniqueName);
    } finally {
      await log.close();
    }
  });
});
