import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countryCode } from './country-codes';

describe('countryCode', () => {
  it('reads the English names IdPs log, in CLDR and GeoIP spellings alike', () => {
    const names: [string, string][] = [
      ['United States', 'US'],
      ['Germany', 'DE'],
      ['Türkiye', 'TR'],
      ['Turkey', 'TR'],
      ['Czech Republic', 'CZ'],
      ['Czechia', 'CZ'],
      ['Republic of Lithuania', 'LT'],
      ['Hong Kong', 'HK'],
      ['Korea, Republic of', 'KR'],
      ['Côte d’Ivoire', 'CI'],
      ['Ivory Coast', 'CI'],
      ['Saint Kitts and Nevis', 'KN'],
      ['DR Congo', 'CD'],
    ];
    for (const [name, code] of names) assert.equal(countryCode(name), code, name);
  });

  it('ignores case, accents and surrounding blanks', () => {
    assert.equal(countryCode('  united KINGDOM '), 'GB');
    assert.equal(countryCode('Reunion'), 'RE');
  });

  it('passes an alpha-2 code through, upper-cased', () => {
    assert.equal(countryCode('nl'), 'NL');
    assert.equal(countryCode('FR'), 'FR');
  });

  it('answers nothing for what is not a country, rather than guessing', () => {
    for (const value of ['Unknown', 'Europe', 'XX', '', 'Congo', 'Korea']) assert.equal(countryCode(value), undefined, value);
  });
});
