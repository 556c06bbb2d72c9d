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
  it('finds a repeat line only when another line of the same connection, seconds apart, counted the failure', async () => {
    const result = await evaluateFail2ban(files, env, sshd);
    assert.deepEqual(
      result.rows.map((r) => [r.indicator, r.tp, r.fp, r.fn]),
      [['sshd', 2, 0, 2]],
    );
    assert.deepEqual(
      result.misses.map((m) => m.subject),
      // a lone "Failed password for invalid user" line, and one of the same pid a minute later
      ['sshd:8', 'sshd:10'],
    );
    assert.ok(result.notes.includes('sshd: 1 labelled lines the parser ignored were found: another line of the same connection, seconds apart, counted the failure'));
  });

  it("leaves out lines labelled for fail2ban's non-default modes, naming why", async () => {
    const result = await evaluateFail2ban(files, env, sshd);
    assert.ok(result.notes.includes('sshd: 5 labelled lines read with sshd'), result.notes.join('\n'));
    assert.ok(result.notes.includes(`sshd: 1 labelled lines not counted: constraint "opts.get('mode') == 'aggressive'" is false in the default jail`));
    assert.ok(result.notes.some((n) => /^sshd: 1 labelled lines not counted: labelled for fail2ban's ddos\/aggressive mode only/.test(n)));
  });
});
