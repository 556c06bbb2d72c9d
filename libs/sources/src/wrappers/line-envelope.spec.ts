import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { envoyJsonParser } from '../envoy';
import { nginxAccessParser } from '../nginx';
import { createSshdParser } from '../sshd';
import { acceptingEnvelopes, unwrapContainerLine } from './line-envelope';
import { readSyslogHeader } from './syslog-header';

const ACCESS = '203.0.113.7 - - [24/Nov/2026:10:00:01 +0000] "POST /api/login HTTP/1.1" 401 0 "-" "curl/8.5.0"';
const nginx = acceptingEnvelopes(nginxAccessParser);

describe('line envelopes', () => {
  const wrapped: [what: string, line: string][] = [
    ['a containerd/CRI-O line', `2026-11-24T10:00:01.123456789Z stdout F ${ACCESS}`],
    ['a CRI line with an offset time on stderr', `2026-11-24T11:00:01.1+01:00 stderr F ${ACCESS}`],
    ['a Docker json-file record', JSON.stringify({ log: `${ACCESS}\n`, stream: 'stdout', time: '2026-11-24T10:00:01.123456789Z' })],
    ['a Docker json-file record of a CRLF line', JSON.stringify({ log: `${ACCESS}\r\n`, stream: 'stderr', time: '2026-11-24T10:00:01Z' })],
    ['an RFC 3164 syslog header', `Nov 24 10:00:01 web-0 nginx[31]: ${ACCESS}`],
    ['an RFC 5424 syslog header', `<190>1 2026-11-24T10:00:01.000Z web-0 nginx 31 - - ${ACCESS}`],
    ['a syslog header inside a CRI line', `2026-11-24T10:00:01Z stdout F Nov 24 10:00:01 web-0 nginx[31]: ${ACCESS}`],
  ];
  for (const [what, line] of wrapped) {
    it(`reads the line inside ${what} as the line itself, with the same id`, () => {
      assert.deepEqual(nginx.parse(line), nginxAccessParser.parse(ACCESS));
    });
  }

  it('refuses a partial CRI line, which cannot be read without the rest of it', () => {
    assert.deepEqual(nginx.parse(`2026-11-24T10:00:01Z stdout P ${ACCESS.slice(0, 40)}`), {
      ok: false,
      reason: '(line): a partial CRI line (P): the runtime split a line over 16 KiB and a single part cannot be read alone',
    });
  });

  it('refuses a Docker json-file record that is not JSON or has no log line', () => {
    assert.deepEqual(unwrapContainerLine('{"log":"203.0.113.7 - -'), { problem: '(line): starts like a Docker json-file record but is not JSON' });
    assert.deepEqual(unwrapContainerLine('{"log":7,"stream":"stdout"}'), { problem: 'log: must be the logged line (Docker json-file)' });
  });

  it('leaves the syslog header to a parser that reads it, so its time is not lost', () => {
    const sshd = acceptingEnvelopes(createSshdParser({ year: 2026 }));
    const result = sshd.parse('2026-11-24T10:00:01Z stdout F Nov 24 10:00:01 bastion-1 sshd[7]: Invalid user oracle from 192.0.2.10 port 4000');
    assert.ok(result.ok);
    assert.equal(result.events[0]?.time, '2026-11-24T10:00:01.000Z');
  });

  it('gives a JSON parser the JSON inside a container line, and refuses a container line that holds none', () => {
    const record = { start_time: '2026-11-24T10:00:01.100Z', method: 'GET', 'x-envoy-origin-path': '/page-01', response_code: 404, downstream_remote_address: '10.0.0.13:40000' };
    const envoy = acceptingEnvelopes(envoyJsonParser);
    assert.deepEqual(envoy.parse(`2026-11-24T11:00:01.000000100+01:00 stdout F ${JSON.stringify(record)}`), envoyJsonParser.parse(record));
    assert.deepEqual(envoy.parse('2026-11-24T10:00:01Z stdout F starting envoy'), { ok: false, reason: '(record): the container runtime line does not hold JSON' });
    assert.deepEqual(envoy.parse('just text'), envoyJsonParser.parse('just text'));
  });
});

describe('syslog headers', () => {
  const headers: [line: string, host: string | undefined, program: string | undefined, pid: string | undefined][] = [
    ['Nov 24 10:00:01 bastion-1 sshd[7]: x', 'bastion-1', 'sshd', '7'],
    ['Nov  4 10:00:01 bastion-1 sshd-session[7]: x', 'bastion-1', 'sshd-session', '7'],
    ['<38>Nov 24 10:00:01 bastion-1 sshd: x', 'bastion-1', 'sshd', undefined],
    ['Nov 24 10:00:01 sshd[7]: x', undefined, 'sshd', '7'],
    ['Nov 24 10:00:01 [sshd]: x', undefined, 'sshd', undefined],
    ['Feb 15 16:23:40 srv httpd/backend1[22034]: x', 'srv', 'httpd/backend1', '22034'],
    ['2026-11-24T10:00:01.123456+01:00 bastion-1 sshd[7]: x', 'bastion-1', 'sshd', '7'],
    ['<38>1 2026-11-24T10:00:01Z bastion-1 sshd 7 - [a b="]"] x', 'bastion-1', 'sshd', '7'],
  ];
  for (const [line, host, program, pid] of headers) {
    it(`reads host ${host ?? '(none)'}, program ${program ?? '(none)'} and pid ${pid ?? '(none)'} from "${line.slice(0, 48)}"`, () => {
      const header = readSyslogHeader(line);
      assert.ok(header);
      assert.deepEqual([header.host, header.program, header.pid, line.slice(header.messageAt)], [host, program, pid, 'x']);
    });
  }

  it('finds no header in lines that only look like one', () => {
    for (const line of [ACCESS, '2026/11/24 10:00:01 [error] 31#31: x', '[24/Nov/2026:10:00:01 +0000] x', 'Foo 24 10:00:01 host app[1]: x']) {
      assert.equal(readSyslogHeader(line), undefined, line);
    }
  });
});
