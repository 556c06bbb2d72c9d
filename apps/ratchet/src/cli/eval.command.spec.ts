import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { UnreadableDataset, type EvaluationReport } from '@ratchet/evaluation';
import { formatEval, parseEvalArgs, runEval } from './eval.command';

/** The harness's own fixture datasets, in the publishers' layouts. */
const FIXTURES = resolve(__dirname, '../../../../libs/evaluation/src/fixtures');

describe('ratchet eval', () => {
  it('runs every suite on the datasets beside the repository unless a path is given', () => {
    const options = parseEvalArgs(['all', '--panther', '/data/p.jsonl', '--json'], '/shared/datasets');
    assert.deepEqual(options, {
      json: true,
      suites: {
        'crowdsec-hub': '/shared/datasets/crowdsec-hub',
        panther: '/data/p.jsonl',
        fail2ban: '/shared/datasets/fail2ban-logs',
        falco: '/shared/datasets/falco-k8s-audit',
      },
    });
    assert.deepEqual(parseEvalArgs(['falco'], '/shared/datasets'), { json: false, suites: { falco: '/shared/datasets/falco-k8s-audit' } });
  });

  it('refuses an unknown suite or option with the usage', () => {
    assert.throws(() => parseEvalArgs(['splunk']), /"splunk" is not a suite\nusage: ratchet eval/);
    assert.throws(() => parseEvalArgs(['all', '--bench', 'x']), /unknown option --bench/);
    assert.throws(() => parseEvalArgs([]), /name a suite, or all/);
  });

  it('prints the summary as JSON with --json, one row per indicator of the suite run', async () => {
    const report = await runEval({ suites: { fail2ban: join(FIXTURES, 'fail2ban') }, json: true });
    const printed = JSON.parse(formatEval(report, true)) as EvaluationReport;
    const row = printed.summary.find((r) => r.indicator === 'nginx-http-auth');
    assert.deepEqual(row && { suite: row.suite, tp: row.tp, fp: row.fp, fn: row.fn }, { suite: 'fail2ban', tp: 2, fp: 0, fn: 1 });
    // The fixture copy holds an sshd sample too: its row is in the summary.
    assert.ok(printed.summary.some((r) => r.suite === 'fail2ban' && r.indicator === 'sshd'));
  });

  it('fails naming the path when a dataset cannot be read', async () => {
    const missing = join(FIXTURES, 'no-such-dataset');
    await assert.rejects(runEval({ suites: { falco: missing }, json: false }), (err: unknown) => err instanceof UnreadableDataset && err.message.startsWith(`${missing}: cannot be read (ENOENT)`));
  });
});
