import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryEventLog } from '@ratchet/platform';
import { nginxAccessParser, oktaParser } from '@ratchet/sources';
import { recordOf } from './raw-topics.consumer';
import { runRawTopicsScenario } from './testing/raw-topics.scenario';

describe('RawTopicsConsumer on the memory EventLog', () => {
  it('parses, resolves, enriches and publishes raw records, dead-letters refusals, counts them and commits', async () => {
    let n = 0;
    const log = new MemoryEventLog();
    try {
      await runRawTopicsScenario(log, (prefix) => `${prefix}-${++n}`);
    } finally {
      await log.close();
    }
  });
});

describe('recordOf', () => {
  it('gives a line source the message as text without the newline a shipper kept', () => {
    assert.deepEqual(recordOf({ value: 'a line\r\n' }, 3, nginxAccessParser), { index: 3, value: 'a line' });
  });

  it('gives a JSON source the parsed value', () => {
    assert.deepEqual(recordOf({ value: '{"uuid":"x"}' }, 0, oktaParser), { index: 0, value: { uuid: 'x' } });
  });

  it('refuses a JSON source a value that is not JSON, keeping the raw value for the dead letter', () => {
    assert.deepEqual(recordOf({ value: 'uuid=x' }, 1, oktaParser), { index: 1, raw: 'uuid=x', error: 'message value is not JSON' });
  });
});
