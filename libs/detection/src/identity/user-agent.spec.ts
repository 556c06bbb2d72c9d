import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseUserAgent, shortHash, type ParsedUserAgent } from './user-agent';

/** User-Agent headers as current browsers and tools send them. */
const CASES: ReadonlyArray<readonly [string, ParsedUserAgent]> = [
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', { browser: 'Chrome 120', os: 'Windows 10', device: 'desktop' }],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91',
    { browser: 'Edge 120', os: 'Windows 10', device: 'desktop' },
  ],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15', { browser: 'Safari 17', os: 'macOS 10.15', device: 'desktop' }],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1',
    { browser: 'Safari 17', os: 'iOS 17.1', device: 'mobile' },
  ],
  ['Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/119.0.6045.169 Mobile/15E148 Safari/604.1', { browser: 'Chrome 119', os: 'iOS 16.6', device: 'tablet' }],
  ['Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36', { browser: 'Chrome 120', os: 'Android 10', device: 'mobile' }],
  [
    'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Safari/537.36',
    { browser: 'Samsung Internet 23', os: 'Android 13', device: 'tablet' },
  ],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0', { browser: 'Firefox 121', os: 'Linux', device: 'desktop' }],
  ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', { browser: 'Chrome 120', os: 'Chrome OS', device: 'desktop' }],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0', { browser: 'Opera 106', os: 'Windows 10', device: 'desktop' }],
  ['Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko', { browser: 'Other', os: 'Windows 7', device: 'desktop' }],
  ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', { browser: 'Other', os: 'Other', device: 'bot' }],
  ['curl/8.4.0', { browser: 'curl 8', os: 'Other', device: 'unknown' }],
  ['python-requests/2.31.0', { browser: 'Python Requests 2', os: 'Other', device: 'unknown' }],
  ['', { browser: 'Other', os: 'Other', device: 'unknown' }],
];

describe('parseUserAgent', () => {
  for (const [ua, expected] of CASES) {
    it(`reads ${expected.browser} on ${expected.os} (${expected.device}) from "${ua.slice(0, 60)}"`, () => {
      assert.deepEqual(parseUserAgent(ua), expected);
    });
  }
});

describe('shortHash', () => {
  it('answers sixteen hex digits, the same for the same text and different for a one-character change', () => {
    const ua = CASES[0]?.[0] ?? '';
    assert.match(shortHash(ua), /^[0-9a-f]{16}$/);
    assert.equal(shortHash(ua), shortHash(`${ua}`));
    assert.notEqual(shortHash(ua), shortHash(ua.replace('120', '121')));
  });
});
