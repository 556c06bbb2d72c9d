import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { itAnswersEveryJsonFixture } from '../testing/json-fixture-cases';
import { keycloakParser } from './keycloak.parser';

describe('keycloak parser', () => {
  itAnswersEveryJsonFixture(keycloakParser, join(__dirname, 'fixtures'));

  it('never throws, whatever JSON value it is given', () => {
    const odd: unknown[] = [null, 0, 'LOGIN', true, [], {}, { time: -1, type: 'LOGIN' }, { time: 1e20, type: 'LOGIN' }, { time: 1, type: 'LOGIN', details: [] },
      { time: 1, operationType: 'UPDATE', authDetails: 'x' }, { loggerName: 'org.keycloak.events', message: 'type="unterminated, realmId=x' },
      { loggerName: 'org.keycloak.events', message: '=,=,', timestamp: 5 }];
    for (const value of odd) assert.doesNotThrow(() => keycloakParser.parse(value), JSON.stringify(value));
  });

  it('describes itself as the json-framed keycloak source', () => {
    assert.equal(keycloakParser.id, 'keycloak');
    assert.equal(keycloakParser.framing, 'json');
  });
});
