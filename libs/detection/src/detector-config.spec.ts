import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bruteForceDetector } from './brute-force.detector';
import type { Detector } from './detector';
import { httpProbingDetector } from './http/probing.detector';
import { httpSensitivePathsDetector, normalisePath } from './http/sensitive-paths.detector';
import { vendorRiskDetector } from './identity/vendor-risk.detector';
import { k8sExecDetector } from './k8s/exec.detector';
import { k8sSecretReadDetector } from './k8s/secret-read.detector';
import { k8sTokenOutsideClusterDetector } from './k8s/token-outside-cluster.detector';
import { meshUnknownIdentityDetector } from './mesh/unknown-identity.detector';
import { sshProbingDetector } from './ssh/probing.detector';

/** The message a detector refuses `raw` with; fails the test when it accepts it. */
function refusal(detector: Detector<unknown>, raw: unknown): string {
  try {
    detector.compile(raw);
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail(`${detector.id} accepted ${JSON.stringify(raw)}`);
}

describe('reading detector settings', () => {
  it('names the settings a detector has when given one it does not', () => {
    assert.equal(refusal(bruteForceDetector, { treshold: 30 }), 'auth.brute-force.treshold: is not a setting of this detector (settings: threshold, window)');
    assert.equal(refusal(vendorRiskDetector, { severity: 1 }), 'auth.vendor-risk.severity: is not a setting of this detector (it has none)');
  });

  it('names the entry of a list that is wrong, counting from zero', () => {
    assert.equal(refusal(k8sExecDetector, { sensitiveNamespaces: ['kube-system', 7] }), 'k8s.exec.sensitiveNamespaces[1]: must be a non-empty string');
    assert.equal(refusal(httpProbingDetector, { statuses: [404, 99] }), 'http.probing.statuses[1]: must be an HTTP status from 100 to 599');
    assert.equal(refusal(httpProbingDetector, { statuses: 404 }), 'http.probing.statuses: must be a non-empty list of HTTP statuses');
  });

  it('quotes the address or CIDR it cannot read', () => {
    assert.equal(refusal(sshProbingDetector, { ignoreAddresses: ['10.20.0.0/24', 'lb.internal'] }), 'ssh.probing.ignoreAddresses: "lb.internal" is not an address or CIDR');
  });

  it('refuses a switch that is not true or false, and a duration it cannot read', () => {
    assert.equal(refusal(httpSensitivePathsDetector, { hiddenFiles: 'no' }), 'http.sensitive-paths.hiddenFiles: must be true or false');
    assert.equal(refusal(k8sSecretReadDetector, { learning: 'a day' }), 'k8s.secret-read.learning: "a day" is not a duration (use e.g. 500ms, 30s, 5m, 1h, 7d)');
  });

  it('refuses settings that would leave a detector nothing to look for', () => {
    assert.equal(refusal(meshUnknownIdentityDetector, { trustDomains: [] }), 'mesh.unknown-identity.trustDomains: must name at least one trust domain');
    assert.equal(refusal(httpSensitivePathsDetector, { patterns: [], extraPatterns: [] }), 'http.sensitive-paths.patterns: must name at least one path (switch the detector off with false instead)');
  });

  it('keeps the defaults of the settings left out', () => {
    const p = k8sSecretReadDetector.compile({ maxReaders: 64 });
    assert.equal(p.maxMembers, 64);
    assert.equal(p.learningMs, 86_400_000);
    assert.equal(p.knownReaders('system:serviceaccount:kube-system:namespace-controller'), true);
    assert.equal(k8sTokenOutsideClusterDetector.compile({}).clusterCidrs, undefined);
  });

  it('reads lists into what the detector compares: patterns, address sets, lower-case sets', () => {
    const exec = k8sExecDetector.compile({ allowedIdentities: ['system:serviceaccount:ci:*'] });
    assert.equal(exec.allowedIdentities('system:serviceaccount:ci:runner'), true);
    assert.equal(exec.allowedIdentities('alice'), false);
    const cluster = k8sTokenOutsideClusterDetector.compile({ clusterCidrs: ['10.244.0.0/16'] }).clusterCidrs;
    assert.equal(cluster?.has('10.244.3.7'), true);
    assert.equal(cluster?.has('203.0.113.7'), false);
    assert.deepEqual([...meshUnknownIdentityDetector.compile({ trustDomains: ['Prod.Example.com'] }).trustDomains], ['prod.example.com']);
    assert.deepEqual([...httpProbingDetector.compile({ staticExtensions: ['PNG'] }).staticExtensions], ['png']);
  });

  it('adds extra sensitive paths to the list, and leaves admin interfaces out when their list is emptied', () => {
    const p = httpSensitivePathsDetector.compile({ extraPatterns: ['/internal/dump'], adminInterfaces: [] });
    assert.match(normalisePath('/internal/dump'), p.matcher);
    assert.match(normalisePath('/.env'), p.matcher);
    assert.equal(p.adminMatcher, undefined);
  });
});
