import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findSource, SOURCES } from './catalogue';

describe('the source catalogue', () => {
  it('gives every source a unique id that can be a URL segment', () => {
    const ids = SOURCES.map((s) => s.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('says how each source is framed and what it reads', () => {
    for (const source of SOURCES) {
      assert.ok(source.framing === 'line' || source.framing === 'json', source.id);
      assert.ok(source.summary.length > 10, source.id);
    }
  });

  it('finds a source by id and nothing by an unknown one', () => {
    assert.equal(findSource('nginx-access')?.framing, 'line');
    assert.equal(findSource('okta')?.framing, 'json');
    assert.equal(findSource('syslog'), undefined);
  });

  it('lists the text sources the evaluation replays', () => {
    for (const id of ['sshd', 'apache', 'apache-error', 'traefik', 'haproxy', 'keycloak-log', 'authelia']) assert.equal(findSource(id)?.framing, 'line', id);
  });
});

describe('every catalogued source', () => {
  it('refuses, never throws, whatever value it is given', () => {
    const odd: unknown[] = [null, undefined, 0, true, '', ' ', [], {}, '"'.repeat(10_000), `[${'['.repeat(50_000)}`, `Nov 24 10:00:00 h sshd[1]: ${'from '.repeat(20_000)}`];
    for (const source of SOURCES) {
      for (const value of odd) {
        const result = source.parse(value, { receivedAt: Date.UTC(2026, 10, 24) });
        assert.equal(typeof result.ok, 'boolean', `${source.id} on ${JSON.stringify(value)?.slice(0, 40)}`);
        if (!result.ok) assert.match(result.reason, /\S/);
      }
    }
  });
});
