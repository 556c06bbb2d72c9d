import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MemoryStateStore } from '@ratchet/testing';
import type { DatasetFiles } from './dataset-files.port';
import { evaluateFail2ban } from './fail2ban.suite';
import { defaultReplayEnvironment } from './replay';

const SAMPLES = join(__dirname, 'fixtures', 'fail2ban');
const files: DatasetFiles = { read: (path) => readFileSync(join(SAMPLES, path), 'utf8'), list: () => [] };
const env = defaultReplayEnvironment((clock) => new MemoryStateStore(clock));
const sshd = [{ filter: 'sshd', sources: ['sshd'], match: 'failure', yearless: true }] as const;

describe('fail2ban suite on sshd samples', () => {
  it('reads every line that reports a failed attempt with its host, the lone repeats of an unknown user included', async () => {
    const result = await evaluateFail2ban(files, env, sshd);
    assert.deepEqual(
      result.rows.map((r) => [r.indicator, r.tp, r.fp, r.fn]),
      [['sshd', 7, 0, 1]],
    );
  });

  it('finds a line the parser ignores only when another line of the same connection, seconds apart, counted the failure', async () => {
    const result = await evaluateFail2ban(files, env, sshd);
    // the pam_unix line of pid 40300 is followed by its "Failed password"; the one of pid 40310 is alone
    assert.deepEqual(
      result.misses.map((m) => m.subject),
      ['sshd:16'],
    );
    assert.ok(result.notes.includes('sshd: 1 labelled lines the parser ignored were found: another line of the same connection, seconds apart, counted the failure'));
  });

  it('does not count as a false positive a line that repeats, under the same event id, an attempt an earlier line reported', async () => {
    const result = await evaluateFail2ban(files, env, sshd);
    // "Disconnecting invalid user test …" (no failure for fail2ban) shares the id of the "maximum authentication attempts" line before it
    assert.deepEqual(result.misses.filter((m) => m.kind === 'FP'), []);
  });

  it("leaves out lines labelled for fail2ban's non-default modes, naming why", async () => {
    const result = await evaluateFail2ban(files, env, sshd);
    assert.ok(result.notes.includes('sshd: 10 labelled lines read with sshd'), result.notes.join('\n'));
    assert.ok(result.notes.includes(`sshd: 1 labelled lines not counted: constraint "opts.get('mode') == 'aggressive'" is false in the default jail`));
    assert.ok(result.notes.includes('sshd: 1 labelled lines not counted: the host is a name or a spelling that is not an IP address: Ratchet keeps client addresses only'));
    assert.ok(result.notes.some((n) => /^sshd: 1 labelled lines not counted: labelled for fail2ban's ddos\/aggressive mode only/.test(n)));
  });
});

describe('fail2ban suite on lines that need their connection', () => {
  it('reads each sample file as one stream: a summary without an address counts with its connection\'s, and an end after a counted failure adds none', async () => {
    const result = await evaluateFail2ban(files, env, [{ filter: 'sshd-connections', sources: ['sshd'], match: 'failure', yearless: true }]);
    assert.deepEqual(
      result.rows.map((r) => [r.indicator, r.tp, r.fp, r.fn]),
      [['sshd-connections', 3, 0, 0]],
    );
  });
});

describe('fail2ban suite on HTTP authentication samples', () => {
  it("compares what each filter matches: traefik-auth a named user refused, not the bare challenge; haproxy-http-auth a 401, not a deny rule's 403", async () => {
    const result = await evaluateFail2ban(files, env, [
      { filter: 'traefik-auth', sources: ['traefik'], match: 'login-failure', yearless: false },
      { filter: 'haproxy-http-auth', sources: ['haproxy'], match: 'auth-refusal', yearless: true },
    ]);
    assert.deepEqual(
      result.rows.map((r) => [r.indicator, r.tp, r.fp, r.fn]),
      [
        ['traefik-auth', 1, 0, 0],
        ['haproxy-http-auth', 1, 0, 0],
      ],
    );
  });

  it('counts any failure as a match where the filter says failure, so a challenge would be a false positive there', async () => {
    const result = await evaluateFail2ban(files, env, [{ filter: 'traefik-auth', sources: ['traefik'], match: 'failure', yearless: false }]);
    assert.deepEqual(result.misses.map((m) => [m.kind, m.subject]), [['FP', 'traefik-auth:4']]);
  });
});

describe('fail2ban suite: labels mapped out of scope', () => {
  it('lists a line an out-of-scope pattern names in the notes with its reason, and does not score it', async () => {
    const result = await evaluateFail2ban(files, env, [
      { filter: 'traefik-auth', sources: ['traefik'], match: 'login-failure', yearless: false, outOfScope: [{ line: / - admin \[/, why: 'a test reason' }] },
    ]);
    assert.deepEqual(
      result.rows.map((r) => [r.indicator, r.tp, r.fp, r.fn]),
      [['traefik-auth', 0, 0, 0]],
    );
    assert.ok(result.notes.includes('traefik-auth: 1 labelled lines not counted: a test reason'), result.notes.join('\n'));
  });
});
