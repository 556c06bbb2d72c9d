import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { itAnswersEveryJsonFixture } from '../testing/json-fixture-cases';
import { k8sAuditParser } from './k8s-audit.parser';

describe('k8s-audit parser', () => {
  itAnswersEveryJsonFixture(k8sAuditParser, join(__dirname, 'fixtures'));

  it('never throws, whatever JSON value it is given', () => {
    const odd: unknown[] = [null, 0, 'Event', true, [], {}, { kind: 'Event', stage: 7 }, { kind: 'Event', stage: 'ResponseComplete', requestReceivedTimestamp: 1 },
      { kind: 'Event', stage: 'ResponseComplete', verb: 'get', requestReceivedTimestamp: '2026-03-02T08:14:07Z', sourceIPs: 'x', user: 'y', objectRef: [], annotations: 5, responseStatus: { code: '403' } },
      { category: 'kube-audit', properties: { log: 'null' } }, { category: 'kube-audit', properties: { log: 7 } }];
    for (const value of odd) assert.doesNotThrow(() => k8sAuditParser.parse(value), JSON.stringify(value));
  });

  it('describes itself as the json-framed k8s-audit source', () => {
    assert.equal(k8sAuditParser.id, 'k8s-audit');
    assert.equal(k8sAuditParser.framing, 'json');
  });
});
