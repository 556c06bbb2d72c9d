import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sshdParser } from '@ratchet/sources';
import { StreamTable } from './stream-table';

/** A connection that reached MaxAuthTries and whose end was never logged: sshd's memory keeps it. */
const summary = (pid: number): string => `Mar  2 09:00:00 bastion-1 sshd[${pid}]: Disconnecting: Too many authentication failures for root [preauth]`;

describe('StreamTable', () => {
  it('forgets the least recently used streams once all of them remember more connections than the limit, never the one just read', () => {
    const table = new StreamTable({ streams: 1_000, recordsPerStream: 100_000, records: 1_000_000, connections: 10 });
    for (const [n, name] of ['a', 'b', 'c'].entries()) {
      const { memory } = table.state(name, 0);
      for (let pid = 0; pid < 4; pid++) sshdParser.parse(summary(1000 * n + pid), { receivedAt: Date.UTC(2026, 2, 2, 9, 0, 1), stream: memory });
      table.trim(name);
    }
    assert.deepEqual([table.has('a'), table.has('b'), table.has('c')], [false, true, true], '12 connections > 10: the oldest stream goes');
    const { memory } = table.state('c', 1);
    for (let pid = 10; pid < 20; pid++) sshdParser.parse(summary(pid), { receivedAt: Date.UTC(2026, 2, 2, 9, 0, 1), stream: memory });
    table.trim('c');
    assert.deepEqual([table.has('b'), table.has('c')], [false, true], 'the stream just read stays, alone over the limit');
  });

  it('forgets the least recently used streams once all of them count more ids than the limit', () => {
    const table = new StreamTable({ streams: 1_000, recordsPerStream: 100_000, records: 5, connections: 65_536 });
    for (const name of ['a', 'b']) {
      const { ids } = table.state(name, 0);
      for (let n = 0; n < 3; n++) ids.number(`sshd:${name}${n}`, `line ${n}`);
      table.trim(name);
    }
    assert.deepEqual([table.has('a'), table.has('b')], [false, true]);
  });

  it("starts a stream's counts over once it keeps more records than its limit, also records of a single id", () => {
    const table = new StreamTable({ streams: 1_000, recordsPerStream: 100, records: 1_000_000, connections: 65_536 });
    const { ids } = table.state('a', 0);
    for (let n = 0; n < 200; n++) ids.number('sshd:attempt', `Mar  2 09:00:00 bastion-1 sshd[9]: Failed password for root from 192.0.2.1 port ${1000 + n} ssh2`);
    assert.equal(table.state('a', 1).ids.size, 0);
  });

  it('keeps at most its number of streams, and reads a retried batch as the first time', () => {
    const table = new StreamTable({ streams: 2, recordsPerStream: 100_000, records: 1_000_000, connections: 65_536 });
    table.state('a', 0).ids.number('sshd:x', 'line');
    assert.equal(table.state('a', 1).ids.number('sshd:x', 'line'), 'sshd:x#1');
    assert.equal(table.state('a', 1).ids.number('sshd:x', 'line'), 'sshd:x#1', 'the retry is numbered as the first time');
    table.state('b', 0);
    table.state('c', 0);
    assert.equal(table.size, 2);
    assert.equal(table.has('a'), false);
  });

  it('counts a retried batch, counts that started over and a stream forgotten beyond its number at what they keep now', () => {
    const table = new StreamTable({ streams: 2, recordsPerStream: 3, records: 6, connections: 65_536 });
    const read = (name: string, batch: number, lines: number): void => {
      const { ids } = table.state(name, batch);
      for (let n = 0; n < lines; n++) ids.number(`sshd:${name}${n}`, `line ${n}`);
      table.trim(name);
    };
    read('a', 0, 4);
    read('b', 0, 2);
    read('a', 1, 2);
    assert.deepEqual([table.has('a'), table.has('b')], [true, true], "a's counts started over: 2 + 2 records");
    read('b', 0, 2);
    assert.deepEqual([table.has('a'), table.has('b')], [true, true], "b's retry is counted once: 2 + 2 records");
    read('c', 0, 4);
    assert.deepEqual([table.has('a'), table.has('b'), table.has('c')], [false, true, true], 'a went for c, and its records with it: 2 + 4 records');
    read('c', 0, 5);
    assert.deepEqual([table.has('b'), table.has('c')], [false, true], "c's retry keeps 5 records: with b's 2 they are over the limit");
  });
});
