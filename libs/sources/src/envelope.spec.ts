import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openEnvelope } from './envelope';
import { entraParser } from './entra';
import { k8sAuditParser } from './k8s-audit';
import { oktaParser } from './okta';

describe('openEnvelope', () => {
  it('opens an Okta event hook delivery at data.events', () => {
    const events = [{ uuid: 'a' }, { uuid: 'b' }];
    assert.deepEqual(openEnvelope(oktaParser, { eventType: 'com.okta.event_hook', data: { events } }), { ok: true, name: 'Okta event hook', records: events, path: 'data.events' });
  });

  it('opens a Microsoft Graph page and an Azure diagnostic batch for Entra', () => {
    assert.deepEqual(openEnvelope(entraParser, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns', value: [{ id: '1' }] }), {
      ok: true, name: 'Microsoft Graph page', records: [{ id: '1' }], path: 'value',
    });
    assert.deepEqual(openEnvelope(entraParser, { records: [] }), { ok: true, name: 'Azure diagnostic settings batch', records: [], path: 'records' });
  });

  it('opens a Kubernetes EventList only when its kind says so', () => {
    assert.equal((openEnvelope(k8sAuditParser, { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [{}] }) as { path: string }).path, 'items');
    assert.equal(openEnvelope(k8sAuditParser, { kind: 'Event', items: [{}] }), undefined);
  });

  it('leaves a single record alone, and anything that is not an object', () => {
    assert.equal(openEnvelope(oktaParser, { eventType: 'user.session.start', data: { events: [] } }), undefined);
    for (const value of [null, 'x', 3, [{ uuid: 'a' }]]) assert.equal(openEnvelope(oktaParser, value), undefined);
  });

  it('refuses an envelope whose records are not an array, naming the path', () => {
    assert.deepEqual(openEnvelope(oktaParser, { eventType: 'com.okta.event_hook', data: { events: {} } }), {
      ok: false,
      reason: 'data.events: must be an array of records (Okta event hook)',
    });
  });
});
