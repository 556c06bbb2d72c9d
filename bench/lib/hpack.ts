/**
 * An HPACK (RFC 7541) header block decoder for the bench's bare HTTP/2 client: static and dynamic
 * tables, table size updates, Huffman strings. Decoding is required: a real HTTP/2 server (node's
 * nghttp2 here) indexes and Huffman-codes what it sends, so a client that only parses literals
 * breaks on the second response.
 */

/** RFC 7541 Appendix A. */
const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'], [':scheme', 'http'], [':scheme', 'https'],
  [':status', '200'], [':status', '204'], [':status', '206'], [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'],
  ['accept-charset', ''], ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''], ['content-disposition', ''],
  ['content-encoding', ''], ['content-language', ''], ['content-length', ''], ['content-location', ''], ['content-range', ''], ['content-type', ''],
  ['cookie', ''], ['date', ''], ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''], ['location', ''], ['max-forwards', ''],
  ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''],
  ['set-cookie', ''], ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''], ['www-authenticate', ''],
];

/** RFC 7541 Appendix B: [code, bit length] of symbols 0–255 and EOS (256). */
// prettier-ignore
const HUFFMAN_CODES: readonly number[] = [
  0x1ff8, 13, 0x7fffd8, 23, 0xfffffe2, 28, 0xfffffe3, 28, 0xfffffe4, 28, 0xfffffe5, 28, 0xfffffe6, 28, 0xfffffe7, 28, 0xfffffe8, 28, 0xffffea, 24,
  0x3ffffffc, 30, 0xfffffe9, 28, 0xfffffea, 28, 0x3ffffffd, 30, 0xfffffeb, 28, 0xfffffec, 28, 0xfffffed, 28, 0xfffffee, 28, 0xfffffef, 28, 0xffffff0, 28,
  0xffffff1, 28, 0xffffff2, 28, 0x3ffffffe, 30, 0xffffff3, 28, 0xffffff4, 28, 0xffffff5, 28, 0xffffff6, 28, 0xffffff7, 28, 0xffffff8, 28, 0xffffff9, 28,
  0xffffffa, 28, 0xffffffb, 28, 0x14, 6, 0x3f8, 10, 0x3f9, 10, 0xffa, 12, 0x1ff9, 13, 0x15, 6, 0xf8, 8, 0x7fa, 11,
  0x3fa, 10, 0x3fb, 10, 0xf9, 8, 0x7fb, 11, 0xfa, 8, 0x16, 6, 0x17, 6, 0x18, 6, 0x0, 5, 0x1, 5,
  0x2, 5, 0x19, 6, 0x1a, 6, 0x1b, 6, 0x1c, 6, 0x1d, 6, 0x1e, 6, 0x1f, 6, 0x5c, 7, 0xfb, 8,
  0x7ffc, 15, 0x20, 6, 0xffb, 12, 0x3fc, 10, 0x1ffa, 13, 0x21, 6, 0x5d, 7, 0x5e, 7, 0x5f, 7, 0x60, 7,
  0x61, 7, 0x62, 7, 0x63, 7, 0x64, 7, 0x65, 7, 0x66, 7, 0x67, 7, 0x68, 7, 0x69, 7, 0x6a, 7,
  0x6b, 7, 0x6c, 7, 0x6d, 7, 0x6e, 7, 0x6f, 7, 0x70, 7, 0x71, 7, 0x72, 7, 0xfc, 8, 0x73, 7,
  0xfd, 8, 0x1ffb, 13, 0x7fff0, 19, 0x1ffc, 13, 0x3ffc, 14, 0x22, 6, 0x7ffd, 15, 0x3, 5, 0x23, 6, 0x4, 5,
  0x24, 6, 0x5, 5, 0x25, 6, 0x26, 6, 0x27, 6, 0x6, 5, 0x74, 7, 0x75, 7, 0x28, 6, 0x29, 6,
  0x2a, 6, 0x7, 5, 0x2b, 6, 0x76, 7, 0x2c, 6, 0x8, 5, 0x9, 5, 0x2d, 6, 0x77, 7, 0x78, 7,
  0x79, 7, 0x7a, 7, 0x7b, 7, 0x7ffe, 15, 0x7fc, 11, 0x3ffd, 14, 0x1ffd, 13, 0xffffffc, 28, 0xfffe6, 20, 0x3fffd2, 22,
  0xfffe7, 20, 0xfffe8, 20, 0x3fffd3, 22, 0x3fffd4, 22, 0x3fffd5, 22, 0x7fffd9, 23, 0x3fffd6, 22, 0x7fffda, 23, 0x7fffdb, 23, 0x7fffdc, 23,
  0x7fffdd, 23, 0x7fffde, 23, 0xffffeb, 24, 0x7fffdf, 23, 0xffffec, 24, 0xffffed, 24, 0x3fffd7, 22, 0x7fffe0, 23, 0xffffee, 24, 0x7fffe1, 23,
  0x7fffe2, 23, 0x7fffe3, 23, 0x7fffe4, 23, 0x1fffdc, 21, 0x3fffd8, 22, 0x7fffe5, 23, 0x3fffd9, 22, 0x7fffe6, 23, 0x7fffe7, 23, 0xffffef, 24,
  0x3fffda, 22, 0x1fffdd, 21, 0xfffe9, 20, 0x3fffdb, 22, 0x3fffdc, 22, 0x7fffe8, 23, 0x7fffe9, 23, 0x1fffde, 21, 0x7fffea, 23, 0x3fffdd, 22,
  0x3fffde, 22, 0xfffff0, 24, 0x1fffdf, 21, 0x3fffdf, 22, 0x7fffeb, 23, 0x7fffec, 23, 0x1fffe0, 21, 0x1fffe1, 21, 0x3fffe0, 22, 0x1fffe2, 21,
  0x7fffed, 23, 0x3fffe1, 22, 0x7fffee, 23, 0x7fffef, 23, 0xfffea, 20, 0x3fffe2, 22, 0x3fffe3, 22, 0x3fffe4, 22, 0x7ffff0, 23, 0x3fffe5, 22,
  0x3fffe6, 22, 0x7ffff1, 23, 0x3ffffe0, 26, 0x3ffffe1, 26, 0xfffeb, 20, 0x7fff1, 19, 0x3fffe7, 22, 0x7ffff2, 23, 0x3fffe8, 22, 0x1ffffec, 25,
  0x3ffffe2, 26, 0x3ffffe3, 26, 0x3ffffe4, 26, 0x7ffffde, 27, 0x7ffffdf, 27, 0x3ffffe5, 26, 0xfffff1, 24, 0x1ffffed, 25, 0x7fff2, 19, 0x1fffe3, 21,
  0x3ffffe6, 26, 0x7ffffe0, 27, 0x7ffffe1, 27, 0x3ffffe7, 26, 0x7ffffe2, 27, 0xfffff2, 24, 0x1fffe4, 21, 0x1fffe5, 21, 0x3ffffe8, 26, 0x3ffffe9, 26,
  0xffffffd, 28, 0x7ffffe3, 27, 0x7ffffe4, 27, 0x7ffffe5, 27, 0xfffec, 20, 0xfffff3, 24, 0xfffed, 20, 0x1fffe6, 21, 0x3fffe9, 22, 0x1fffe7, 21,
  0x1fffe8, 21, 0x7ffff3, 23, 0x3fffea, 22, 0x3fffeb, 22, 0x1ffffee, 25, 0x1ffffef, 25, 0xfffff4, 24, 0xfffff5, 24, 0x3ffffea, 26, 0x7ffff4, 23,
  0x3ffffeb, 26, 0x7ffffe6, 27, 0x3ffffec, 26, 0x3ffffed, 26, 0x7ffffe7, 27, 0x7ffffe8, 27, 0x7ffffe9, 27, 0x7ffffea, 27, 0x7ffffeb, 27, 0xffffffe, 28,
  0x7ffffec, 27, 0x7ffffed, 27, 0x7ffffee, 27, 0x7ffffef, 27, 0x7fffff0, 27, 0x3ffffee, 26, 0x3fffffff, 30,
];

/** The Huffman code as a binary tree in two arrays: node → child per bit; leaves hold ~symbol. */
const HUFFMAN_TREE = buildHuffmanTree();

function buildHuffmanTree(): Int32Array[] {
  const zero: number[] = [0];
  const one: number[] = [0];
  for (let symbol = 0; symbol < 257; symbol++) {
    const code = HUFFMAN_CODES[2 * symbol] as number;
    const bits = HUFFMAN_CODES[2 * symbol + 1] as number;
    let node = 0;
    for (let bit = bits - 1; bit >= 0; bit--) {
      const branch = Math.floor(code / 2 ** bit) % 2 === 1 ? one : zero;
      if (bit === 0) branch[node] = ~symbol;
      else {
        if (!branch[node]) {
          branch[node] = zero.length;
          zero.push(0);
          one.push(0);
        }
        node = branch[node] as number;
      }
    }
  }
  return [Int32Array.from(zero), Int32Array.from(one)];
}

export class HpackError extends Error {}

export type HeaderList = [string, string][];

export class HpackDecoder {
  private dynamic: [string, string][] = [];
  private size = 0;

  /** `maxTableSize`: the SETTINGS_HEADER_TABLE_SIZE this side announced (4,096 by default). */
  constructor(private maxTableSize = 4_096) {}

  decode(block: Buffer): HeaderList {
    const headers: HeaderList = [];
    let pos = 0;
    const integer = (prefixBits: number): number => {
      const mask = (1 << prefixBits) - 1;
      let value = (block[pos++] as number) & mask;
      if (value < mask) return value;
      for (let shift = 0; ; shift += 7) {
        if (pos >= block.length || shift > 28) throw new HpackError('truncated or oversized integer');
        const byte = block[pos++] as number;
        value += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) return value;
      }
    };
    const string = (): string => {
      if (pos >= block.length) throw new HpackError('truncated string');
      const huffman = ((block[pos] as number) & 0x80) !== 0;
      const length = integer(7);
      if (pos + length > block.length) throw new HpackError('string runs past the block');
      const bytes = block.subarray(pos, pos + length);
      pos += length;
      return huffman ? huffmanDecode(bytes) : bytes.toString('latin1');
    };
    while (pos < block.length) {
      const byte = block[pos] as number;
      if (byte & 0x80) {
        headers.push(this.entry(integer(7)));
      } else if (byte & 0x40) {
        const index = integer(6);
        const name = index === 0 ? string() : this.entry(index)[0];
        const field: [string, string] = [name, string()];
        headers.push(field);
        this.insert(field);
      } else if (byte & 0x20) {
        this.maxTableSize = integer(5);
        this.evict(0);
      } else {
        const index = integer(4);
        const name = index === 0 ? string() : this.entry(index)[0];
        headers.push([name, string()]);
      }
    }
    return headers;
  }

  private entry(index: number): [string, string] {
    if (index >= 1 && index <= STATIC_TABLE.length) return [...(STATIC_TABLE[index - 1] as [string, string])];
    const entry = this.dynamic[index - STATIC_TABLE.length - 1];
    if (!entry) throw new HpackError(`index ${index} is in neither table`);
    return entry;
  }

  private insert(field: [string, string]): void {
    const size = 32 + field[0].length + field[1].length;
    this.evict(size);
    if (size > this.maxTableSize) return;
    this.dynamic.unshift(field);
    this.size += size;
  }

  private evict(room: number): void {
    while (this.size + room > this.maxTableSize && this.dynamic.length > 0) {
      const gone = this.dynamic.pop() as [string, string];
      this.size -= 32 + gone[0].length + gone[1].length;
    }
  }
}

function huffmanDecode(bytes: Buffer): string {
  const [zero, one] = HUFFMAN_TREE as [Int32Array, Int32Array];
  let out = '';
  let node = 0;
  let depth = 0;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      const next = ((byte >> bit) & 1 ? one : zero)[node] as number;
      if (next < 0) {
        if (next === ~256) throw new HpackError('EOS inside a Huffman string');
        out += String.fromCharCode(~next);
        node = 0;
        depth = 0;
      } else if (next === 0) {
        throw new HpackError('invalid Huffman code');
      } else {
        node = next;
        depth++;
      }
    }
  }
  if (depth > 7) throw new HpackError('Huffman padding longer than 7 bits');
  return out;
}
