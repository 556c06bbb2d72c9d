import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HpackDecoder, HpackError } from './hpack';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('the bench client’s HPACK decoder', () => {
  it('decodes RFC 7541 C.4’s three Huffman-coded requests on one connection, dynamic table included', () => {
    const decoder = new HpackDecoder();
    assert.deepEqual(decoder.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff')), [
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'],
    ]);
    assert.deepEqual(decoder.decode(hex('8286 84be 5886 a8eb 1064 9cbf')), [
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache'],
    ]);
    assert.deepEqual(decoder.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf')), [
      [':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value'],
    ]);
  });

  it('refuses an index in neither table and a string past the block', () => {
    assert.throws(() => new HpackDecoder().decode(hex('be')), HpackError);
    assert.throws(() => new HpackDecoder().decode(hex('4005 6162')), HpackError);
  });
});
