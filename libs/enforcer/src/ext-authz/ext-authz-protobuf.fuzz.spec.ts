import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSync } from '@grpc/proto-loader';
import { seededRandom } from '@ratchet/testing';
import { loadAuthorizationService } from './ext-authz-grpc.server';
import type { ProtoCheckRequest } from './ext-authz-messages';
import { decodeCheckRequest } from './ext-authz-protobuf';
import { JWT_AUTHN, sidecarRequest } from './fixtures/sidecar-check-request';

const ratchet = loadAuthorizationService()['Check'];
if (!ratchet) throw new Error('Authorization service without Check');

const READING = { headers: ['x-ratchet-fail-mode', 'x-jwt-sub'] };
const JWT = JWT_AUTHN;

/** The request mutated: a sidecar's, in the fields Ratchet declares. */
const SEED = ratchet.requestSerialize(sidecarRequest);

/** One to three mutations of the kinds that break parsers: byte and bit flips, varint bytes, insertions, deletions, a repeated range, a cut. */
function mutate(bytes: Buffer, next: () => number): Buffer {
  let out = Buffer.from(bytes);
  const at = (): number => Math.floor(next() * out.length);
  for (let count = 1 + Math.floor(next() * 3); count > 0; count--) {
    const i = at();
    switch (Math.floor(next() * 7)) {
      case 0:
        out[i] = Math.floor(next() * 256);
        break;
      case 1:
        out[i] = (out[i] as number) ^ (1 << Math.floor(next() * 8));
        break;
      case 2:
        out[i] = [0x00, 0x7f, 0x80, 0xff][Math.floor(next() * 4)] as number;
        break;
      case 3:
        out = Buffer.concat([out.subarray(0, i), Buffer.from([Math.floor(next() * 256)]), out.subarray(i)]);
        break;
      case 4:
        out = Buffer.concat([out.subarray(0, i), out.subarray(i + 1)]);
        break;
      case 5: {
        const end = Math.min(out.length, i + 1 + Math.floor(next() * 16));
        out = Buffer.concat([out.subarray(0, end), out.subarray(i, end), out.subarray(end)]);
        break;
      }
      default:
        out = out.subarray(0, i);
    }
  }
  return out;
}

/** What the verdict reads of a decoded request, from either decoder. */
function verdictView(request: ProtoCheckRequest): unknown {
  const attributes = request.attributes;
  const http = attributes?.request?.http;
  return {
    address: attributes?.source?.address?.socket_address?.address,
    principal: attributes?.source?.principal,
    method: http?.method,
    path: http?.path,
    host: http?.host,
    headers: READING.headers.map((name) => http?.headers?.[name]),
    failMode: attributes?.context_extensions?.['ratchet-fail-mode'],
    jwt: Object.entries(attributes?.metadata_context?.filter_metadata?.[JWT]?.fields ?? {}).map(([name, payload]) => [name, payload.structValue?.fields?.['sub']?.stringValue]),
  };
}

interface FieldDescriptor {
  number: number;
  type: string;
  typeName: string;
  label: string;
}
interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: MessageDescriptor[];
}

/** Every message ./proto declares (google.protobuf.Struct and its kin included), by full name. */
const MESSAGES = new Map<string, MessageDescriptor>();
for (const [name, definition] of Object.entries(loadSync('envoy/service/auth/v3/external_auth.proto', { includeDirs: [join(__dirname, 'proto')], keepCase: true }))) {
  const index = (fullName: string, message: MessageDescriptor): void => {
    MESSAGES.set(fullName, message);
    for (const nested of message.nestedType) index(`${fullName}.${nested.name}`, nested);
  };
  const type = (definition as { type?: MessageDescriptor }).type;
  if (type && Array.isArray(type.field)) index(name, type);
}

/** A type name as protobuf resolves it: from the innermost enclosing scope outwards. */
function resolve(typeName: string, scope: string): string | undefined {
  for (let prefix = scope; ; prefix = prefix.slice(0, Math.max(0, prefix.lastIndexOf('.')))) {
    const candidate = prefix ? `${prefix}.${typeName}` : typeName;
    if (MESSAGES.has(candidate)) return candidate;
    if (!prefix) return undefined;
  }
}

const WIRE_OF: Readonly<Record<string, number>> = { TYPE_DOUBLE: 1, TYPE_FIXED64: 1, TYPE_SFIXED64: 1, TYPE_FLOAT: 5, TYPE_FIXED32: 5, TYPE_SFIXED32: 5, TYPE_STRING: 2, TYPE_BYTES: 2, TYPE_MESSAGE: 2 };

/**
 * Whether protobufjs's decoding of `bytes` follows protobuf: it reads a declared field by its
 * declared type whatever the wire type says (a varint read as a length swallows the fields after
 * it), and a singular message sent twice replaces the first rather than merging. Where it strays,
 * its answer is no reference; everywhere else it is.
 */
function protobufjsIsFaithful(bytes: Buffer, start: number, end: number, typeName: string): boolean {
  const message = MESSAGES.get(typeName);
  let pos = start;
  const varint = (): number | undefined => {
    let value = 0;
    for (let scale = 1, i = 0; i < 10 && pos < end; i++, scale *= 128) {
      const byte = bytes[pos++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
    }
    return undefined;
  };
  const seenMessages = new Set<number>();
  while (pos < end) {
    const tag = varint();
    if (tag === undefined || tag >= 2 ** 32) return false;
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    const field = message?.field.find((f) => f.number === number);
    if (field) {
      const expected = WIRE_OF[field.type] ?? 0;
      const packed = field.label === 'LABEL_REPEATED' && expected !== 2 && wire === 2;
      if (wire !== expected && !packed) return false;
    }
    if (wire === 0 && varint() === undefined) return false;
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const length = varint();
      if (length === undefined || pos + length > end) return false;
      if (field?.type === 'TYPE_MESSAGE') {
        if (field.label !== 'LABEL_REPEATED' && seenMessages.has(number)) return false;
        seenMessages.add(number);
        const nested = resolve(field.typeName, typeName);
        if (nested !== undefined && !protobufjsIsFaithful(bytes, pos, pos + length, nested)) return false;
      }
      pos += length;
    } else if (wire !== 0) return false;
  }
  return pos === end;
}

describe('the ext_authz protobuf reader under mutated requests', () => {
  it('never throws, answers a request or a reason, and reads what protobufjs reads whenever protobufjs accepts the bytes', () => {
    const next = seededRandom(0x5eed_2026);
    let compared = 0;
    let refused = 0;
    let unfaithful = 0;
    const mismatches: string[] = [];
    for (let n = 0; n < 4_000; n++) {
      const bytes = mutate(SEED, next);
      const decoded = decodeCheckRequest(bytes, READING);
      if (!decoded.ok) {
        assert.ok(decoded.reason.length > 0);
        refused++;
        continue;
      }
      let reference: ProtoCheckRequest;
      try {
        reference = ratchet.requestDeserialize(bytes) as ProtoCheckRequest;
      } catch {
        continue;
      }
      if (!protobufjsIsFaithful(bytes, 0, bytes.length, 'envoy.service.auth.v3.CheckRequest')) {
        unfaithful++;
        continue;
      }
      compared++;
      const ours = JSON.stringify(verdictView(decoded.request));
      const theirs = JSON.stringify(verdictView(reference));
      if (ours !== theirs) mismatches.push(`${bytes.toString('hex')}\n ours ${ours}\n pbjs ${theirs}`);
    }
    assert.deepEqual(mismatches.slice(0, 3), []);
    // The seed fixes the split: most mutations break the framing and are refused; hundreds still decode both ways.
    assert.ok(compared > 500 && refused > 1_000, `${compared} compared, ${refused} refused, ${unfaithful} where protobufjs strays`);
  });
});
