import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { acceptingEnvelopes } from '../wrappers';
import { itAnswersEveryRecordFixture } from '../testing/record-fixture-cases';
import { keycloakLogParser } from './keycloak-log.parser';
import { keycloakParser } from './keycloak.parser';

describe('keycloak-log parser', () => {
  itAnswersEveryRecordFixture(join(__dirname, 'fixtures', 'server-log'), [acceptingEnvelopes(keycloakLogParser)]);

  it('reads an event of the text log as the keycloak parser reads it in the JSON log, apart from the id', () => {
    const message = 'type="LOGIN_ERROR", realmId="acme", clientId="web-portal", ipAddress="203.0.113.60", error="invalid_user_credentials", username="alice"';
    const text = keycloakLogParser.parse(`2026-11-24 10:30:01,202 WARN  [org.keycloak.events] (executor-thread-12) ${message}`);
    const json = keycloakParser.parse({ timestamp: '2026-11-24T10:30:01.202Z', loggerName: 'org.keycloak.events', message });
    assert.ok(text.ok && json.ok);
    assert.deepEqual({ ...text.events[0], id: undefined }, { ...json.events[0], id: undefined });
  });
});
