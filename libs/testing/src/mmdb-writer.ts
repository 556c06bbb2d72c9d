import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A small MaxMind DB (`.mmdb`, format 2.0) writer for test fixtures: no npm package writes one,
 * and a database written by the spec shows what it holds, where a committed binary would not.
 * It covers what fixtures need — a search tree of non-overlapping networks over records of
 * strings, numbers, booleans, maps and arrays, 24-bit records — and nothing of the data
 * deduplication or pointer compression a real database uses.
 * Specification: https://maxmind.github.io/MaxMind-DB/
 */

/** A value in an MMDB record: integers are written unsigned when they fit, other numbers as doubles. */
export type MmdbValue = string | number | boolean | readonly MmdbValue[] | { readonly [key: string]: MmdbValue };

export interface MmdbNetwork {
  /** `203.0.113.0/24`, `2001:db8:1::/48`; an IPv4 network in an IPv6 database sits at `::a.b.c.d`. */
  readonly cidr: string;
  readonly record: { readonly [key: string]: MmdbValue };
}

export interface MmdbDatabase {
  /** `metadata.database_type`: what readers check, e.g. `city ipv4` (ip-location-db) or `GeoLite2-City`. */
  readonly type: string;
  readonly ipVersion: 4 | 6;
  /** `metadata.build_epoch`. */
  readonly built: Date;
  readonly networks: readonly MmdbNetwork[];
  readonly languages?: readonly string[];
  readonly description?: { readonly [language: string]: string };
}

const RECORD_BYTES = 3; // 24-bit records: six bytes a node
const METADATA_MARKER = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com')]);

/** The bytes of a `.mmdb` file holding `db`; throws on a network that is malformed, of the wrong family or overlaps another. */
export function writeMmdb(db: MmdbDatabase): Buffer {
  const width = db.ipVersion === 4 ? 32 : 128;
  // A node is [left, right]: another node's index, a record's index in `data` as { data }, or empty.
  type Slot = number | { data: number } | undefined;
  const nodes: [Slot, Slot][] = [[undefined, undefined]];
  const data: Buffer[] = [];
  for (const { cidr, record } of db.networks) {
    const bits = networkBits(cidr, width);
    let node = 0;
    bits.forEach((bit, depth) => {
      const pair = nodes[node] as [Slot, Slot];
      const slot = pair[bit];
      if (depth === bits.length - 1) {
        if (slot !== undefined) throw new Error(`${cidr} overlaps another network`);
        pair[bit] = { data: data.length };
        return;
      }
      if (typeof slot === 'object') throw new Error(`${cidr} overlaps another network`);
      if (slot === undefined) {
        nodes.push([undefined, undefined]);
        pair[bit] = nodes.length - 1;
      }
      node = pair[bit] as number;
    });
    data.push(encode(record));
  }
  const nodeCount = nodes.length;
  const offsets: number[] = [];
  data.reduce((offset, bytes) => (offsets.push(offset), offset + bytes.length), 0);
  const tree = Buffer.alloc(nodeCount * 2 * RECORD_BYTES);
  nodes.forEach((pair, i) =>
    pair.forEach((slot, side) => {
      // Empty is `nodeCount`; a record is `nodeCount + 16 + its offset in the data section`.
      const value = slot === undefined ? nodeCount : typeof slot === 'number' ? slot : nodeCount + 16 + (offsets[slot.data] as number);
      tree.writeUIntBE(value, (i * 2 + side) * RECORD_BYTES, RECORD_BYTES);
    }),
  );
  const metadata = encode({
    node_count: nodeCount,
    record_size: RECORD_BYTES * 8,
    ip_version: db.ipVersion,
    database_type: db.type,
    languages: db.languages ?? [],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: Math.floor(db.built.getTime() / 1000),
    description: db.description ?? {},
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...data, METADATA_MARKER, metadata]);
}

function networkBits(cidr: string, width: number): (0 | 1)[] {
  const [address = '', prefixText = ''] = cidr.split('/');
  const prefix = Number(prefixText);
  const bytes = address.includes(':') ? ipv6Bytes(address) : ipv4Bytes(address);
  if (bytes === undefined || !Number.isInteger(prefix) || prefix < 1 || prefix > bytes.length * 8) throw new Error(`${cidr} is not a network`);
  if (bytes.length * 8 !== width) throw new Error(`${cidr} does not belong in an IPv${width === 32 ? 4 : 6} database`);
  return Array.from({ length: prefix }, (_, i) => (((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1) as 0 | 1);
}

function ipv4Bytes(address: string): number[] | undefined {
  const parts = address.split('.').map(Number);
  return parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255) ? parts : undefined;
}

function ipv6Bytes(address: string): number[] | undefined {
  const [head = '', tail, ...more] = address.split('::');
  if (more.length > 0) return undefined;
  const groups = (text: string): number[] | undefined => {
    if (text === '') return [];
    const out: number[] = [];
    for (const part of text.split(':')) {
      const v4 = part.includes('.') ? ipv4Bytes(part) : undefined;
      if (v4 !== undefined) out.push((v4[0] as number) * 256 + (v4[1] as number), (v4[2] as number) * 256 + (v4[3] as number));
      else if (/^[0-9a-f]{1,4}$/i.test(part)) out.push(parseInt(part, 16));
      else return undefined;
    }
    return out;
  };
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  if (left === undefined || right === undefined) return undefined;
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  return [...left, ...Array<number>(missing).fill(0), ...right].flatMap((g) => [g >> 8, g & 0xff]);
}

// Data section types (specification § "Output Data Section").
const STRING = 2;
const DOUBLE = 3;
const UINT32 = 6;
const MAP = 7;
const UINT64 = 9;
const ARRAY = 11;
const BOOLEAN = 14;

function encode(value: MmdbValue): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(STRING, bytes.length), bytes]);
  }
  if (typeof value === 'boolean') return control(BOOLEAN, value ? 1 : 0);
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      const bytes = unsignedBytes(value);
      return Buffer.concat([control(value <= 0xffff_ffff ? UINT32 : UINT64, bytes.length), bytes]);
    }
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleBE(value);
    return Buffer.concat([control(DOUBLE, 8), bytes]);
  }
  if (Array.isArray(value)) return Buffer.concat([control(ARRAY, value.length), ...value.map(encode)]);
  const entries = Object.entries(value as { readonly [key: string]: MmdbValue });
  return Buffer.concat([control(MAP, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v)])]);
}

function unsignedBytes(value: number): Buffer {
  const out: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return Buffer.from(out);
}

/** The control byte (type in the top three bits, size in the low five) and any extended type and size bytes. */
function control(type: number, size: number): Buffer {
  const extended = type > 7;
  const head = (extended ? 0 : type) << 5;
  const typeByte = extended ? [type - 7] : [];
  if (size < 29) return Buffer.from([head | size, ...typeByte]);
  if (size < 285) return Buffer.from([head | 29, ...typeByte, size - 29]);
  if (size < 65_821) return Buffer.from([head | 30, ...typeByte, (size - 285) >> 8, (size - 285) & 0xff]);
  const rest = size - 65_821;
  return Buffer.from([head | 31, ...typeByte, (rest >> 16) & 0xff, (rest >> 8) & 0xff, rest & 0xff]);
}

/**
 * Lays a package out under `<root>/node_modules/<name>` (package.json and `files`), as npm installs
 * one, for specs of code that finds database packages with `require.resolve(…, { paths: [root] })`.
 * Returns the package's folder.
 */
export function writeNpmPackage(root: string, name: string, version: string, files: Readonly<Record<string, Buffer | string>>): string {
  const dir = join(root, 'node_modules', ...name.split('/'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version }));
  for (const [file, bytes] of Object.entries(files)) writeFileSync(join(dir, file), bytes);
  return dir;
}
