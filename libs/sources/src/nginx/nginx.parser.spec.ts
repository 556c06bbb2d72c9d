import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { SourceParser } from '../source-parser';
import { itAnswersEveryRecordFixture } from '../testing/record-fixture-cases';
import { acceptingEnvelopes } from '../wrappers';
import { compileAuthEventAdmission } from '@ratchet/contracts';
import { decideHttpAccess, hostWithoutPort, isLoginPath, unescapeNginx } from '../http/http-access';
import { nginxAccessParser, nginxErrorParser, nginxJsonParser } from './index';
import { parseTimeLocal } from '../http/http-time';

/** As the catalogue offers them: container wrappers and syslog headers accepted. */
const PARSERS: readonly SourceParser[] = [nginxAccessParser, nginxJsonParser, nginxErrorParser].map(acceptingEnvelopes);

describe('nginx parsers', () => {
  const cases = itAnswersEveryRecordFixture(join(__dirname, 'fixtures'), PARSERS);

  it('gives every record its own id and the same id again when the record is read again', () => {
    const ids = cases.flatMap(({ parser, records }) =>
      records.flatMap((record) => {
        const first = parser.parse(record);
        assert.deepEqual(parser.parse(record), first);
        return first.ok ? first.events.map((e) => e.id) : [];
      }),
    );
    assert.equal(new Set(ids).size, ids.length);
  });

  it('hands $http_x_forwarded_for to the collector and keeps $remote_addr as client.ip', () => {
    const main = nginxAccessParser.parse('10.0.0.4 - - [24/Nov/2026:10:02:00 +0000] "POST /api/login HTTP/1.1" 401 48 "-" "curl/8.5.0" "198.51.100.9, 203.0.113.7"');
    assert.ok(main.ok);
    assert.equal(main.forwardedFor, '198.51.100.9, 203.0.113.7');
    assert.equal(main.events[0]?.client?.ip, '10.0.0.4');
    const none = nginxAccessParser.parse('10.244.0.1 - - [24/Nov/2026:10:02:01 +0000] "GET / HTTP/1.1" 200 615 "-" "curl/8.5.0" "-"');
    assert.ok(none.ok);
    assert.equal(none.forwardedFor, undefined);
    const json = nginxJsonParser.parse({ time_iso8601: '2026-11-24T11:00:00+01:00', remote_addr: '10.0.0.4', request: 'POST /api/login HTTP/1.1', status: '401', http_x_forwarded_for: '203.0.113.7' });
    assert.ok(json.ok);
    assert.equal(json.forwardedFor, '203.0.113.7');
  });

  it('refuses, never throws, whatever value it is given', () => {
    const odd: unknown[] = [null, undefined, 0, true, '', ' ', [], {}, { status: {} }, '"'.repeat(10_000), `1.2.3.4 - ${'x'.repeat(100_000)}`];
    for (const parser of PARSERS) {
      for (const value of odd) {
        const result = parser.parse(value);
        assert.equal(typeof result.ok, 'boolean', `${parser.id} on ${JSON.stringify(value)?.slice(0, 40)}`);
        if (!result.ok) assert.match(result.reason, /\S/);
      }
    }
  });

  it('cuts over-long fields to what AuthEvent admits instead of losing the request', () => {
    const line = `203.0.113.7 - ${'u'.repeat(600)} [24/Nov/2026:10:00:00 +0000] "POST /${'p'.repeat(5000)}/login HTTP/1.1" 401 0 "-" "${'a'.repeat(2000)}"`;
    const result = nginxAccessParser.parse(line);
    assert.ok(result.ok);
    const [event] = result.events;
    assert.equal(event?.principal?.id?.length, 512);
    assert.equal(event?.target?.path?.length, 4096);
    assert.equal(event?.client?.userAgent?.length, 1024);
    assert.ok(compileAuthEventAdmission()(event, { observedAt: 0 }).ok);
  });
});

describe('access decisions shared by the HTTP sources', () => {
  const table: [status: number, method: string | undefined, path: string | undefined, basicUser: boolean, action: string, outcome: string][] = [
    [401, 'POST', '/api/login', false, 'login', 'failure'],
    [200, 'POST', '/api/login', false, 'login', 'success'],
    [303, 'POST', '/users/sign_in', false, 'login', 'success'],
    [422, 'POST', '/users/sign_in', false, 'login', 'failure'],
    [200, 'POST', '/wp-login.php', false, 'login', 'failure'],
    [302, 'POST', '/wp-login.php', false, 'login', 'success'],
    [200, 'GET', '/login', false, 'request', 'success'],
    [401, 'GET', '/reports', true, 'login', 'failure'],
    [403, 'GET', '/reports', true, 'request', 'failure'],
    [401, 'GET', '/api/orders', false, 'request', 'failure'],
    [407, 'GET', '/', false, 'request', 'failure'],
    [429, 'GET', '/', false, 'request', 'failure'],
    [404, 'GET', '/.env', false, 'request', 'success'],
    [502, 'GET', '/', false, 'request', 'success'],
    [400, undefined, undefined, false, 'request', 'success'],
  ];
  for (const [status, method, path, basicUser, action, outcome] of table) {
    it(`answers ${method ?? '(no method)'} ${path ?? '(no path)'}${basicUser ? ' with a basic-auth user' : ''} and ${status} with ${action} ${outcome}`, () => {
      assert.deepEqual(decideHttpAccess(status, method, path, basicUser), { action, outcome, reason: `http ${status}` });
    });
  }

  const paths: [path: string, login: boolean][] = [
    ['/login', true],
    ['/api/v1/login/', true],
    ['/Shop/SignIn', true],
    ['/realms/acme/protocol/openid-connect/token', true],
    ['/realms/acme/login-actions/authenticate', true],
    ['/oauth/token', true],
    ['/api/auth', true],
    ['/blogin', false],
    ['/oauth', false],
    ['/login/help', false],
    ['/token', false],
  ];
  for (const [path, login] of paths) {
    it(`${login ? 'takes' : 'does not take'} ${path} for a login path`, () => {
      assert.equal(isLoginPath(path), login);
    });
  }
});

describe('NGINX values', () => {
  const times: [timeLocal: string, instant: string | undefined][] = [
    ['24/Nov/2026:15:30:00 +0530', '2026-11-24T10:00:00.000Z'],
    ['24/Nov/2026:02:00:00 -0800', '2026-11-24T10:00:00.000Z'],
    ['31/Dec/2026:23:59:59 -0100', '2027-01-01T00:59:59.000Z'],
    ['01/Jan/2027:00:00:00 +1400', '2026-12-31T10:00:00.000Z'],
    ['29/Feb/2028:00:00:00 +0000', '2028-02-29T00:00:00.000Z'],
    ['29/Feb/2100:00:00:00 +0000', undefined],
    ['31/Apr/2026:00:00:00 +0000', undefined],
    ['24/Nov/2026:10:60:00 +0000', undefined],
  ];
  for (const [timeLocal, instant] of times) {
    it(`reads $time_local ${timeLocal} as ${instant ?? 'no time at all'}`, () => {
      const iso = parseTimeLocal(timeLocal);
      assert.equal(iso === undefined ? undefined : new Date(iso).toISOString(), instant);
    });
  }

  const escaped: [raw: string, value: string][] = [
    ['curl/8.5.0', 'curl/8.5.0'],
    ['j\\x22doe', 'j"doe'],
    ['\\xC3\\xA9milie', 'émilie'],
    ['back\\x5Cslash', 'back\\slash'],
    ['\\x5Cx22', '\\x22'],
    ['\\xFF', '\uFFFD'],
  ];
  for (const [raw, value] of escaped) {
    it(`decodes ${raw} to ${value}`, () => {
      assert.equal(unescapeNginx(raw), value);
    });
  }

  const hosts: [raw: string, host: string | undefined][] = [
    ['Shop.Example.com:8443', 'shop.example.com'],
    ['[2001:db8::1]:443', '[2001:db8::1]'],
    ['2001:db8::1', '2001:db8::1'],
    ['_', undefined],
    ['-', undefined],
  ];
  for (const [raw, host] of hosts) {
    it(`reads the Host ${raw} as ${host ?? 'no host'}`, () => {
      assert.equal(hostWithoutPort(raw), host);
    });
  }
});
