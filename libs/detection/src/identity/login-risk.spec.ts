import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scoreLogin } from './login-risk.detector';

/** Counts in counter order: total, ip, asn, country, ua, browser, os, device. */
type Counts = [number, number, number, number, number, number, number, number];

describe('scoreLogin (Freeman et al. with Wiefling et al. weights)', () => {
  const population: Counts = [10_000, 3, 400, 6_000, 20, 900, 2_500, 7_000];

  it('scores a login new to the user in every value at (history + 1) per feature, whatever the population', () => {
    for (const history of [5, 12, 40]) {
      const score = scoreLogin([history, 0, 0, 0, 0, 0, 0, 0], population);
      assert.ok(Math.abs(score.ip - (history + 1)) < 1e-9, `ip factor ${score.ip}`);
      assert.ok(Math.abs(score.risk - (history + 1) ** 2) < 1e-6, `risk ${score.risk}`);
    }
  });

  it('scores a login in every way like the user’s earlier ones far below one', () => {
    const score = scoreLogin([20, 20, 20, 20, 20, 20, 20, 20], population);
    assert.ok(score.risk < 0.01, `risk ${score.risk}`);
  });

  it('barely minds a new address in the user’s usual network and country', () => {
    const newAddress = scoreLogin([20, 0, 20, 20, 20, 20, 20, 20], population);
    const newCountry = scoreLogin([20, 0, 0, 0, 20, 20, 20, 20], population);
    assert.ok(newAddress.ip < 1, `new address ${newAddress.ip}`);
    assert.ok(newCountry.ip > 10 * newAddress.ip, `new country ${newCountry.ip} vs new address ${newAddress.ip}`);
  });

  // The population stands for the attacker (p(value | attack) = p(value)): an attacker is likelier
  // to come through a big ISP than a rare one, so among values new to the user the common one weighs more.
  it('weighs a network new to the user by how common it is among everyone, as an attacker drawn from them would be', () => {
    const user: Counts = [20, 20, 0, 20, 20, 20, 20, 20];
    const commonAsn = scoreLogin(user, [10_000, 3, 4_000, 6_000, 20, 900, 2_500, 7_000]);
    const rareAsn = scoreLogin(user, [10_000, 3, 1, 6_000, 20, 900, 2_500, 7_000]);
    assert.ok(commonAsn.risk > rareAsn.risk, `common ${commonAsn.risk}, rare ${rareAsn.risk}`);
  });
});
