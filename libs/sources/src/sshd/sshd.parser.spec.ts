import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { SourceResult } from '../source-parser';
import { StreamMemory } from '../stream-memory';
import { retainedBy } from '@ratchet/testing';
import { acceptingEnvelopes } from '../wrappers';
import { itAnswersEveryRecordFixture } from '../testing/record-fixture-cases';
import { createSshdParser, sshdParser } from './sshd.parser';

const LINE = 'Dec 31 23:59:58 bastion-1 sshd[41021]: Failed password for alice from 203.0.113.10 port 51022 ssh2';

describe('sshd parser', () => {
  itAnswersEveryRecordFixture(join(__dirname, 'fixtures'), [acceptingEnvelopes(createSshdParser({ year: 2026 }))]);

  it('reads an RFC 3164 time in the year it is given', () => {
    const result = createSshdParser({ year: 2019 }).parse(LINE);
    assert.ok(result.ok);
    assert.equal(result.events[0]?.time, '2019-12-31T23:59:58.000Z');
  });

  it('takes the year from the receive time, and the year before for a December line read in January', () => {
    const inDecember = sshdParser.parse(LINE, { receivedAt: Date.UTC(2026, 11, 31, 23, 59, 59) });
    const inJanuary = sshdParser.parse(LINE, { receivedAt: Date.UTC(2027, 0, 1, 0, 0, 5) });
    assert.ok(inDecember.ok && inJanuary.ok);
    assert.equal(inDecember.events[0]?.time, '2026-12-31T23:59:58.000Z');
    assert.equal(inJanuary.events[0]?.time, '2026-12-31T23:59:58.000Z');
  });

  it('refuses an RFC 3164 line when neither a year nor a receive time is known, saying how to give one', () => {
    assert.deepEqual(sshdParser.parse(LINE), {
      ok: false,
      reason: "time: syslog (RFC 3164) gives no year; set the parser's year or pass the time the record was received",
    });
  });

  it('refuses 29 February in a year that has none', () => {
    const result = createSshdParser({ year: 2026 }).parse('Feb 29 10:00:00 bastion-1 sshd[1]: Invalid user x from 192.0.2.1 port 1');
    assert.deepEqual(result, { ok: false, reason: 'time: not a real date and time in 2026' });
  });

  describe('attempt identity: every line of one attempt yields its failure under one id, so it counts once', () => {
    const parser = createSshdParser({ year: 2026 });
    const idOf = (line: string): string | undefined => {
      const result = parser.parse(line);
      assert.ok(result.ok && result.events.length === 1, line);
      return result.events[0]?.id;
    };

    it("gives PAM's error, the Failed line and the too-many summary of one second one id, and the next attempt another", () => {
      const pam = idOf('Nov 24 10:01:01 bastion-1 sshd[41091]: error: PAM: Authentication failure for bob from 198.51.100.23');
      const failed = idOf('Nov 24 10:01:01 bastion-1 sshd[41091]: Failed keyboard-interactive/pam for bob from 198.51.100.23 port 60500 ssh2');
      const next = idOf('Nov 24 10:01:04 bastion-1 sshd[41091]: Failed keyboard-interactive/pam for bob from 198.51.100.23 port 60500 ssh2');
      const summary = idOf('Nov 24 10:01:04 bastion-1 sshd[41091]: error: maximum authentication attempts exceeded for bob from 198.51.100.23 port 60500 ssh2 [preauth]');
      assert.equal(pam, failed);
      assert.notEqual(next, failed);
      assert.equal(summary, next);
    });

    it('gives every line of an unknown name on one connection one id, but not the same pid minutes later or another connection', () => {
      const invalid = idOf('Nov 24 11:00:00 bastion-1 sshd[52001]: Invalid user oracle from 45.95.147.12 port 39812');
      const failed = idOf('Nov 24 11:00:04 bastion-1 sshd[52001]: Failed password for invalid user oracle from 45.95.147.12 port 39812 ssh2');
      const left = idOf('Nov 24 11:00:05 bastion-1 sshd[52001]: Disconnected from invalid user oracle 45.95.147.12 port 39812 [preauth]');
      const reused = idOf('Nov 24 11:30:00 bastion-1 sshd[52001]: Invalid user oracle from 45.95.147.12 port 40100');
      const other = idOf('Nov 24 11:00:04 bastion-1 sshd[52002]: Invalid user oracle from 45.95.147.12 port 39830');
      assert.deepEqual(new Set([invalid, failed, left]).size, 1);
      assert.notEqual(reused, invalid);
      assert.notEqual(other, invalid);
    });

    it('reads a client leaving while authenticating as a failed attempt of the user it named', () => {
      const result = parser.parse('Jan 24 15:32:31 server sshd[2651912]: Disconnected from authenticating user root 192.0.2.98 port 59402 [preauth]');
      assert.ok(result.ok);
      assert.deepEqual(
        result.events.map((e) => [e.outcome, e.reason, e.principal?.id, e.client?.ip]),
        [['failure', 'disconnected while authenticating', 'root', '192.0.2.98']],
      );
    });
  });

  describe("a connection's lines read together, when the caller keeps the stream's memory", () => {
    const parser = createSshdParser({ year: 2026 });
    const tooMany = (pid: number, user: string): string => `Mar  2 09:00:0${pid % 10} bastion-1 sshd[${pid}]: Disconnecting: Too many authentication failures for ${user} [preauth]`;
    const closed = (pid: number, address: string): string => `Mar  2 09:00:1${pid % 10} bastion-1 sshd[${pid}]: Connection closed by ${address} port 40000 [preauth]`;
    const failures = (result: SourceResult): string[][] => (result.ok ? result.events.map((e) => [e.principal?.id ?? '', e.client?.ip ?? '']) : []);

    it('reads every line on its own without a stream, as before: the summary that names no address is ignored', () => {
      assert.deepEqual(parser.parse(tooMany(8101, 'root')), { ok: true, events: [], ignored: 'too many authentication failures: each attempt was counted by its own line' });
      assert.deepEqual(parser.parse(closed(8101, '198.51.100.70')), { ok: true, events: [], ignored: 'connection ended' });
    });

    it('keeps no more connections than its capacity: the oldest one waiting for its address is forgotten', () => {
      const stream = new StreamMemory(2);
      for (const [pid, user] of [[8201, 'root'], [8202, 'admin'], [8203, 'oracle']] as const) parser.parse(tooMany(pid, user), { stream });
      assert.equal(stream.size, 2);
      assert.deepEqual(failures(parser.parse(closed(8201, '198.51.100.71'), { stream })), [], 'the first connection was forgotten');
      assert.deepEqual(failures(parser.parse(closed(8203, '198.51.100.73'), { stream })), [['oracle', '198.51.100.73']]);
      assert.deepEqual(failures(parser.parse(closed(8202, '198.51.100.72'), { stream })), [['admin', '198.51.100.72']]);
      assert.equal(stream.size, 0, 'a connection is dropped when sshd logs its end');
    });

    it('keeps no part of a long hostile line, only a user name clipped to the 100 characters sshd logs', () => {
      const huge = 'A'.repeat(500_000);
      const { value: stream, bytes } = retainedBy(() => {
        const kept = new StreamMemory();
        for (let n = 0; n < 8; n++) {
          parser.parse(`Mar  2 09:01:00 bastion-1 sshd[${8400 + n}]: Failed publickey for deploy from 192.0.2.${n} port 60100 ssh2: RSA SHA256:${huge}`, { stream: kept });
          parser.parse(`Mar  2 09:01:00 bastion-1 sshd[${8410 + n}]: Failed publickey for ${huge} from 192.0.2.${n} port 60100 ssh2: RSA SHA256:q3Zk0dE8vJm2bN7xW1cY5uH4gT6rP9sL0aF3eK2iO8w`, { stream: kept });
          parser.parse(`Mar  2 09:01:00 bastion-1 sshd[${8420 + n}]: User ${huge} not allowed because account is locked`, { stream: kept });
        }
        return kept;
      });
      assert.equal(stream.size, 24);
      assert.ok(bytes < 1_000_000, `24 connections kept ${bytes} bytes alive`);
      const summary = parser.parse('Mar  2 09:01:01 bastion-1 sshd[8410]: Disconnecting: Too many authentication failures [preauth]', { stream });
      assert.deepEqual(failures(summary), [['A'.repeat(100), '192.0.2.0']]);
    });

    it('keeps each stream to itself: a summary read in one stream is not completed by an end read in another', () => {
      const [one, two] = [new StreamMemory(), new StreamMemory()];
      parser.parse(tooMany(8301, 'git'), { stream: one });
      assert.deepEqual(failures(parser.parse(closed(8301, '203.0.113.80'), { stream: two })), [], 'the other stream never saw the summary');
      assert.deepEqual(failures(parser.parse(closed(8301, '203.0.113.80'), { stream: one })), [['git', '203.0.113.80']]);
    });
  });
});
