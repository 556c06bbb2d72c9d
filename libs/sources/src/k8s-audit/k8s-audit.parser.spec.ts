import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { itAnswersEveryJsonFixture } from '../testing/json-fixture-cases';
import { createK8sAuditParser, k8sAuditParser } from './k8s-audit.parser';

describe('k8s-audit parser', () => {
  itAnswersEveryJsonFixture(k8sAuditParser, join(__dirname, 'fixtures'));

  it('never throws, whatever JSON value it is given', () => {
    const odd: unknown[] = [null, 0, 'Event', true, [], {}, { kind: 'Event', stage: 7 }, { kind: 'Event', stage: 'ResponseComplete', requestReceivedTimestamp: 1 },
      { kind: 'Event', stage: 'ResponseComplete', verb: 'get', requestReceivedTimestamp: '2026-03-02T08:14:07Z', sourceIPs: 'x', user: 'y', objectRef: [], annotations: 5, responseStatus: { code: '403' } },
      { category: 'kube-audit', properties: { log: 'null' } }, { category: 'kube-audit', properties: { log: 7 } },
      { kind: 'Event', verb: 'create', p_event_time: '2026-03-02 08:14:07', objectRef: { resource: 'pods' }, requestObject: { spec: { containers: 'x', volumes: [null, 3] } } },
      { kind: 'Event', verb: 'create', p_event_time: '2026-03-02 08:14:07', objectRef: { resource: 'cronjobs' }, requestObject: { spec: [] }, impersonatedUser: 'x' }];
    for (const value of odd) assert.doesNotThrow(() => k8sAuditParser.parse(value), JSON.stringify(value));
  });

  it('steps back over the X-Forwarded-For entries of trusted proxies to find the client', () => {
    const call = {
      kind: 'Event',
      stage: 'ResponseComplete',
      verb: 'list',
      requestReceivedTimestamp: '2026-03-02T09:15:00.000000Z',
      // curl -H 'X-Forwarded-For: 10.0.0.1' through one proxy (192.0.2.10) that appends the client's address.
      sourceIPs: ['10.0.0.1', '203.0.113.7', '192.0.2.10'],
    };
    const clientOf = (hops: number) => {
      const result = createK8sAuditParser({ trustedProxies: hops }).parse(call);
      return result.ok ? result.events[0]?.client?.ip : result.reason;
    };
    assert.equal(clientOf(0), '192.0.2.10');
    assert.equal(clientOf(1), '203.0.113.7');
    assert.equal(clientOf(5), '10.0.0.1');
  });

  it('refuses a proxy count that is not a whole number, naming the option', () => {
    assert.throws(() => createK8sAuditParser({ trustedProxies: -1 }), /trustedProxies: must be a whole number/);
    assert.throws(() => createK8sAuditParser({ trustedProxies: 1.5 }), /trustedProxies: must be a whole number/);
  });

  it('describes itself as the json-framed k8s-audit source', () => {
    assert.equal(k8sAuditParser.id, 'k8s-audit');
    assert.equal(k8sAuditParser.framing, 'json');
  });
});
