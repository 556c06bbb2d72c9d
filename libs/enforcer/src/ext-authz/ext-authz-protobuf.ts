import type { ProtoCheckRequest, ProtoCheckResponse, ProtoHeaderValueOption, ProtoMetadata, ProtoPeer, ProtoStruct, StructValue } from './ext-authz-messages';

/**
 * A protobuf reader for the parts of `envoy.service.auth.v3.CheckRequest` the verdict reads and a
 * writer for `CheckResponse`, with the field numbers of ./proto (Envoy's own). Hand-written
 * because the general decoder (protobufjs under grpc-js) builds every header, every metadata
 * entry and the destination peer into objects per call; this one walks the bytes once, keeps
 * only what `readExtAuthzCheck` reads and skips the rest by wire type, so any Envoy v3 request
 * decodes. Bad bytes become a refusal naming the field, never an exception to the caller.
 */

/** The request headers kept (lower-case names); the others are skipped without being decoded. */
export interface CheckRequestReading {
  readonly headers: readonly string[];
}

export type DecodedCheckRequest = { ok: true; request: ProtoCheckRequest } | { ok: false; reason: string };

/**
 * Envoy's JWT filter: with `payload_in_metadata`, the verified claims sit under its name, the only
 * metadata namespace the verdict reads.
 */
export const JWT_AUTHN_FILTER = 'envoy.filters.http.jwt_authn';
/** Nested `Struct`s followed inside the JWT payload metadata; deeper ones are skipped. */
const MAX_STRUCT_DEPTH = 3;
/** Nested groups (wire types 3/4, proto2 only) skipped before the input counts as hostile. */
const MAX_GROUP_DEPTH = 32;
/** Protobuf's largest field number (2^29 - 1): a tag past it is not protobuf. */
const MAX_FIELD_NUMBER = 0x1fff_ffff;
/**
 * Map entries kept per request (`context_extensions` and `jwt_authn` Struct fields at every depth).
 * Both come from configuration and a verified token, a few dozen at most; without a bound, 4 MiB
 * of tiny unique keys builds a 600,000-key object (~80 MB, ~1 s of CPU) from one request.
 */
export const MAX_KEPT_ENTRIES = 1_000;
/**
 * Request headers read per request (`headers` and `header_map` entries together). Envoy sends at
 * most its `max_headers_count` (100 by default); without a bound, 4 MiB of empty header entries
 * (a million) holds the event loop for about 250 ms, and with it every other check.
 */
export const MAX_HEADERS = 10_000;

const WIRE = { VARINT: 0, FIXED64: 1, BYTES: 2, START_GROUP: 3, END_GROUP: 4, FIXED32: 5 } as const;

class MalformedMessage extends Error {}

/** Decodes a serialized CheckRequest; `reason` names the field and what is wrong with it. */
export function decodeCheckRequest(bytes: Uint8Array, reading: CheckRequestReading): DecodedCheckRequest {
  try {
    const reader = new Reader(bytes, reading);
    const request: ProtoCheckRequest = {};
    reader.fields(bytes.length, 'CheckRequest', (field, wire, end) => {
      if (field === 1 && wire === WIRE.BYTES) request.attributes = reader.attributes(end, request.attributes);
      else reader.skip(wire, field, 'CheckRequest');
    }, { 1: 'attributes' });
    return { ok: true, request };
  } catch (err) {
    if (err instanceof MalformedMessage) return { ok: false, reason: err.message };
    throw err;
  }
}

type HttpAttributes = NonNullable<NonNullable<ProtoCheckRequest['attributes']>['request']>;
type HttpRequest = NonNullable<HttpAttributes['http']>;
type FieldVisitor = (field: number, wire: number, end: number) => void;
/** Field names by number, for errors that name the field. */
type FieldNames = Readonly<Record<number, string>>;
const NO_NAMES: FieldNames = {};
/** A `map<string, string>` entry, and Envoy's `HeaderValue` (whose `raw_value` replaces `value`). */
const ENTRY_NAMES: FieldNames = { 1: 'key', 2: 'value' };
const HEADER_VALUE_NAMES: FieldNames = { 1: 'key', 2: 'value', 3: 'raw_value' };

/** A header the caller wants, as the bytes a key is compared with and the name it is kept under. */
interface WantedHeader {
  readonly bytes: Buffer;
  readonly name: string;
}

/** The wanted headers of each reading, worked out once: a server reads every request with the same one. */
const WANTED = new WeakMap<CheckRequestReading, readonly WantedHeader[]>();

function wantedHeadersOf(reading: CheckRequestReading): readonly WantedHeader[] {
  let wanted = WANTED.get(reading);
  if (wanted === undefined) {
    wanted = reading.headers.map((header) => {
      const name = header.toLowerCase();
      return { bytes: Buffer.from(name, 'utf8'), name };
    });
    WANTED.set(reading, wanted);
  }
  return wanted;
}

function fieldName(at: string, field: number, names: FieldNames): string {
  const name = names[field];
  return name === undefined ? `${at} field ${field}` : at === 'CheckRequest' ? name : `${at}.${name}`;
}

class Reader {
  pos = 0;
  private kept = 0;
  private headerCount = 0;
  private readonly buf: Buffer;
  private readonly wantedHeaders: readonly WantedHeader[];

  constructor(bytes: Uint8Array, reading: CheckRequestReading) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.wantedHeaders = wantedHeadersOf(reading);
  }

  /**
   * Calls `visit` for each field of the message ending at `end`; for a length-delimited field,
   * `end` is where its bytes end and `visit` must read or skip exactly up to there. `names` are
   * the fields read, all length-delimited: one with another wire type is refused, not skipped
   * (protobufjs would read it as bytes anyway, and Envoy never sends one).
   */
  fields(end: number, at: string, visit: FieldVisitor, names: FieldNames = NO_NAMES): void {
    while (this.pos < end) {
      const { field, wire } = this.tag(end, at);
      if (wire !== WIRE.BYTES && names[field] !== undefined) throw new MalformedMessage(`${fieldName(at, field, names)}: wire type ${wire}, expected 2 (length-delimited)`);
      if (wire === WIRE.BYTES) {
        const length = this.varint(end, at);
        const fieldEnd = this.pos + length;
        if (fieldEnd > end) throw new MalformedMessage(`${fieldName(at, field, names)}: length ${length} runs past the end of its message (${end - this.pos} bytes left)`);
        visit(field, wire, fieldEnd);
        this.pos = fieldEnd;
      } else {
        visit(field, wire, end);
      }
    }
    if (this.pos !== end) throw new MalformedMessage(`${at}: the last field runs past the end of the message`);
  }

  /** Skips a field that is not length-delimited (those are skipped by `fields` itself). */
  skip(wire: number, field: number, at: string, end = this.buf.length, depth = 0): void {
    switch (wire) {
      case WIRE.VARINT:
        this.varint(end, at);
        return;
      case WIRE.FIXED64:
        return this.advance(8, end, `${at} field ${field} (fixed64)`);
      case WIRE.FIXED32:
        return this.advance(4, end, `${at} field ${field} (fixed32)`);
      case WIRE.BYTES:
        return;
      case WIRE.START_GROUP:
        return this.skipGroup(field, at, end, depth);
      case WIRE.END_GROUP:
        throw new MalformedMessage(`${at} field ${field}: a group ends that never started`);
      default:
        throw new MalformedMessage(`${at} field ${field}: wire type ${wire} is not a protobuf wire type`);
    }
  }

  private skipGroup(field: number, at: string, end: number, depth: number): void {
    if (depth >= MAX_GROUP_DEPTH) throw new MalformedMessage(`${at} field ${field}: groups nested deeper than ${MAX_GROUP_DEPTH}`);
    for (;;) {
      if (this.pos >= end) throw new MalformedMessage(`${at} field ${field}: group without its end`);
      const { field: inner, wire } = this.tag(end, at);
      if (wire === WIRE.END_GROUP) {
        if (inner !== field) throw new MalformedMessage(`${at} field ${field}: group ends with field ${inner}`);
        return;
      }
      if (wire === WIRE.BYTES) this.advance(this.varint(end, at), end, `${at} field ${inner}`);
      else this.skip(wire, inner, at, end, depth + 1);
    }
  }

  private advance(count: number, end: number, at: string): void {
    if (this.pos + count > end) throw new MalformedMessage(`${at}: ${count} bytes needed, ${end - this.pos} left`);
    this.pos += count;
  }

  /**
   * A field's tag: a 32-bit varint whose field number is 1 to 2^29 - 1. A longer one is refused,
   * not truncated to 32 bits as protobufjs does, nor read as another number: a tag two parsers read
   * as two different fields is how a field hides from one of them.
   */
  private tag(end: number, at: string): { field: number; wire: number } {
    const tag = this.varint(end, at);
    const field = Math.floor(tag / 8);
    if (field === 0 || field > MAX_FIELD_NUMBER) throw new MalformedMessage(`${at}: field number ${field > MAX_FIELD_NUMBER ? 'past 2^29 - 1' : '0'} at byte ${this.pos}`);
    const wire = tag % 8;
    if (wire > WIRE.FIXED32) throw new MalformedMessage(`${at} field ${field}: wire type ${wire} is not a protobuf wire type`);
    return { field, wire };
  }

  /** An unsigned varint of up to 64 bits, as a number (exact to 2^53: lengths, tags, enums). */
  varint(end: number, at: string): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw new MalformedMessage(`${at}: truncated varint at byte ${this.pos}`);
      const byte = this.buf[this.pos++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new MalformedMessage(`${at}: varint longer than 10 bytes at byte ${this.pos}`);
  }

  private string(end: number): string {
    return this.buf.toString('utf8', this.pos, end);
  }

  /** Each message reader merges into what an earlier occurrence of the same field read, as protobuf does. */
  attributes(end: number, into: ProtoCheckRequest['attributes']): NonNullable<ProtoCheckRequest['attributes']> {
    const attributes: NonNullable<ProtoCheckRequest['attributes']> = into ?? {};
    const at = 'attributes';
    this.fields(end, at, (field, wire, fieldEnd) => {
      if (field === 1) {
        attributes.source = this.peer(fieldEnd, attributes.source);
      } else if (field === 4) {
        attributes.request = this.request(fieldEnd, attributes.request);
      } else if (field === 10) {
        const [key, value] = this.stringEntry(fieldEnd, 'attributes.context_extensions');
        (attributes.context_extensions ??= Object.create(null) as Record<string, string>)[key] = value;
      } else if (field === 11) {
        attributes.metadata_context = this.metadata(fieldEnd, attributes.metadata_context);
      } else this.skip(wire, field, at, end);
    }, { 1: 'source', 4: 'request', 10: 'context_extensions', 11: 'metadata_context' });
    return attributes;
  }

  private peer(end: number, into: ProtoPeer | undefined): ProtoPeer {
    const peer: ProtoPeer = into ?? {};
    const at = 'attributes.source';
    this.fields(end, at, (field, wire, fieldEnd) => {
      if (field === 1 && wire === WIRE.BYTES) {
        const address = this.socketAddress(fieldEnd);
        if (address !== undefined) peer.address = { socket_address: { address } };
      } else if (field === 4 && wire === WIRE.BYTES) peer.principal = this.string(fieldEnd);
      else this.skip(wire, field, at, end);
    }, { 1: 'address', 4: 'principal' });
    return peer;
  }

  /** `Address.socket_address.address`; pipes and internal addresses have none. */
  private socketAddress(end: number): string | undefined {
    let address: string | undefined;
    const at = 'attributes.source.address';
    this.fields(end, at, (field, wire, fieldEnd) => {
      if (field !== 1) return this.skip(wire, field, at, end);
      this.fields(fieldEnd, at, (inner, innerWire, innerEnd) => {
        if (inner === 2) address = this.string(innerEnd);
        else this.skip(innerWire, inner, `${at}.socket_address`, fieldEnd);
      }, { 2: 'socket_address.address' });
    }, { 1: 'socket_address' });
    return address;
  }

  private request(end: number, into: HttpAttributes | undefined): HttpAttributes {
    const request: HttpAttributes = into ?? {};
    this.fields(end, 'attributes.request', (field, wire, fieldEnd) => {
      if (field === 2) request.http = this.http(fieldEnd, request.http);
      else this.skip(wire, field, 'attributes.request', end);
    }, { 2: 'http' });
    return request;
  }

  private http(end: number, into: HttpRequest | undefined): HttpRequest {
    const http: HttpRequest = into ?? { headers: Object.create(null) as Record<string, string> };
    const headers = (http.headers ??= Object.create(null) as Record<string, string>);
    const at = 'attributes.request.http';
    this.fields(end, at, (field, wire, fieldEnd) => {
      if (wire !== WIRE.BYTES) return this.skip(wire, field, at, end);
      if (field === 2) http.method = this.string(fieldEnd);
      else if (field === 3) this.header(fieldEnd, headers, 1, 2, `${at}.headers`);
      else if (field === 4) http.path = this.string(fieldEnd);
      else if (field === 5) http.host = this.string(fieldEnd);
      // `header_map` (Envoy's `encode_raw_headers`): repeated HeaderValue { key, value, raw_value }.
      else if (field === 13) {
        this.fields(fieldEnd, `${at}.header_map`, (inner, innerWire, innerEnd) => {
          if (inner === 1) this.header(innerEnd, headers, 1, 3, `${at}.header_map.headers`);
          else this.skip(innerWire, inner, `${at}.header_map`, fieldEnd);
        }, { 1: 'headers' });
      }
    }, { 2: 'method', 3: 'headers', 4: 'path', 5: 'host', 13: 'header_map' });
    return http;
  }

  /**
   * One header entry (a map entry, or a HeaderValue whose raw bytes sit in `valueField`), kept
   * only when its name is wanted: names are compared as bytes and the value decoded only for a
   * wanted one, so the headers of a request cost no string each. Undecodable UTF-8 becomes U+FFFD
   * (as protobufjs reads it), never a refusal: a client's header must not be able to fail the check.
   */
  private header(end: number, headers: Record<string, string>, keyField: number, valueField: number, at: string): void {
    if (++this.headerCount > MAX_HEADERS) throw new MalformedMessage(`${at}: more than ${MAX_HEADERS} headers in one request`);
    let keyStart = -1;
    let keyEnd = -1;
    let valueStart = -1;
    let valueEnd = -1;
    let raw = false;
    this.fields(end, at, (field, wire, fieldEnd) => {
      if (field === keyField) {
        keyStart = this.pos;
        keyEnd = fieldEnd;
      } else if (field === valueField || (field === 2 && !raw)) {
        raw = field === valueField;
        valueStart = this.pos;
        valueEnd = fieldEnd;
      } else this.skip(wire, field, at, end);
    }, valueField === 2 ? ENTRY_NAMES : HEADER_VALUE_NAMES);
    if (keyStart < 0) return;
    for (const { bytes, name } of this.wantedHeaders) {
      if (bytes.length === keyEnd - keyStart && this.buf.compare(bytes, 0, bytes.length, keyStart, keyEnd) === 0) {
        headers[name] = valueStart < 0 ? '' : this.buf.toString('utf8', valueStart, valueEnd);
        return;
      }
    }
  }

  /** Counts one more map entry kept against MAX_KEPT_ENTRIES. */
  private keep(at: string): void {
    if (++this.kept > MAX_KEPT_ENTRIES) throw new MalformedMessage(`${at}: more than ${MAX_KEPT_ENTRIES} map entries in one request`);
  }

  /** A `map<string, string>` entry: key 1, value 2; missing ones are empty, as protobuf says. */
  private stringEntry(end: number, at: string): [string, string] {
    this.keep(at);
    let key = '';
    let value = '';
    this.fields(end, at, (field, wire, fieldEnd) => {
      if (field === 1) key = this.string(fieldEnd);
      else if (field === 2) value = this.string(fieldEnd);
      else this.skip(wire, field, at, end);
    }, ENTRY_NAMES);
    return [key, value];
  }

  /**
   * `Metadata.filter_metadata`, the `jwt_authn` entry only: an entry's key may follow its value,
   * so the value's bytes are read once the entry is known to be that one. A later entry with the
   * same key replaces an earlier one (map semantics), while `metadata_context` occurrences merge.
   */
  private metadata(end: number, into: ProtoMetadata | undefined): ProtoMetadata {
    const metadata: ProtoMetadata = into ?? {};
    const at = 'attributes.metadata_context';
    this.fields(end, at, (field, wire, fieldEnd) => {
      if (field !== 1) return this.skip(wire, field, at, end);
      let named = false;
      let valueStart = -1;
      let valueEnd = -1;
      this.fields(fieldEnd, `${at}.filter_metadata`, (inner, innerWire, innerEnd) => {
        if (inner === 1) named = this.string(innerEnd) === JWT_AUTHN_FILTER;
        else if (inner === 2) {
          valueStart = this.pos;
          valueEnd = innerEnd;
        } else this.skip(innerWire, inner, `${at}.filter_metadata`, fieldEnd);
      }, ENTRY_NAMES);
      if (!named) return;
      this.pos = valueStart < 0 ? fieldEnd : valueStart;
      (metadata.filter_metadata ??= {})[JWT_AUTHN_FILTER] = valueStart < 0 ? { fields: Object.create(null) as Record<string, StructValue> } : this.struct(valueEnd, 1);
      this.pos = fieldEnd;
    }, { 1: 'filter_metadata' });
    return metadata;
  }

  /** A `google.protobuf.Struct`, keeping string and struct values (what a JWT `sub` is found in). */
  private struct(end: number, depth: number): ProtoStruct {
    const fields = Object.create(null) as Record<string, StructValue>;
    const at = 'attributes.metadata_context (jwt_authn)';
    this.fields(end, at, (field, wire, fieldEnd) => {
      if (field !== 1) return this.skip(wire, field, at, end);
      this.keep(at);
      let key = '';
      let value: StructValue = {};
      this.fields(fieldEnd, at, (inner, innerWire, innerEnd) => {
        if (inner === 1) key = this.string(innerEnd);
        else if (inner === 2) value = this.value(innerEnd, depth);
        else this.skip(innerWire, inner, at, fieldEnd);
      }, ENTRY_NAMES);
      fields[key] = value;
    }, { 1: 'fields' });
    return { fields };
  }

  private value(end: number, depth: number): StructValue {
    const value: StructValue = {};
    const at = 'attributes.metadata_context (jwt_authn)';
    this.fields(end, at, (field, wire, fieldEnd) => {
      if (field === 3) value.stringValue = this.string(fieldEnd);
      else if (field === 5 && depth < MAX_STRUCT_DEPTH) value.structValue = this.struct(fieldEnd, depth + 1);
      else this.skip(wire, field, at, end);
    }, { 3: 'string_value', 5: 'struct_value' });
    return value;
  }
}

/**
 * Encodes a CheckResponse. Zero and empty fields are left out, as proto3 does, except the status
 * code: written as protobufjs (the grpc-js server this replaced) wrote it, so a client decoding
 * without defaults still reads `code: 0`.
 */
export function encodeCheckResponse(response: ProtoCheckResponse): Buffer {
  const writer = new Writer();
  writer.message(1, (w) => {
    w.varintField(1, response.status.code, true);
    w.stringField(2, response.status.message ?? '');
  });
  const denied = response.denied_response;
  if (denied) {
    writer.message(2, (w) => {
      w.message(1, (status) => status.varintField(1, denied.status.code));
      writeHeaders(w, denied.headers);
      w.stringField(3, denied.body);
    });
  }
  const ok = response.ok_response;
  if (ok) writer.message(3, (w) => writeHeaders(w, ok.headers));
  return writer.finish();
}

function writeHeaders(writer: Writer, headers: readonly ProtoHeaderValueOption[]): void {
  for (const { header } of headers) {
    writer.message(2, (option) =>
      option.message(1, (value) => {
        value.stringField(1, header.key);
        value.stringField(2, header.value);
      }),
    );
  }
}

/** Writes nested messages by reserving a 5-byte length and compacting it once the size is known. */
class Writer {
  private buf = Buffer.allocUnsafe(256);
  private pos = 0;

  /** The bytes written, as a view of the writer's own buffer: a writer writes one message, and its caller frames a copy. */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  message(field: number, write: (writer: Writer) => void): void {
    this.tag(field, WIRE.BYTES);
    const lengthAt = this.pos;
    this.reserve(5);
    this.pos += 5;
    write(this);
    const length = this.pos - lengthAt - 5;
    const lengthBytes = varintSize(length);
    this.buf.copy(this.buf, lengthAt + lengthBytes, lengthAt + 5, this.pos);
    this.pos = lengthAt;
    this.writeVarint(length);
    this.pos += length;
  }

  varintField(field: number, value: number, evenZero = false): void {
    if (value === 0 && !evenZero) return;
    this.tag(field, WIRE.VARINT);
    if (value < 0) this.negative(value);
    else this.varint(value);
  }

  stringField(field: number, value: string): void {
    if (value === '') return;
    const length = Buffer.byteLength(value, 'utf8');
    this.tag(field, WIRE.BYTES);
    this.varint(length);
    this.reserve(length);
    this.pos += this.buf.write(value, this.pos, 'utf8');
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  private varint(value: number): void {
    this.reserve(10);
    this.writeVarint(value);
  }

  /** Into room already reserved. */
  private writeVarint(value: number): void {
    let rest = value;
    while (rest >= 0x80) {
      this.buf[this.pos++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.buf[this.pos++] = rest;
  }

  /** A negative int32 is sign-extended to ten bytes, as protobuf writes it. */
  private negative(value: number): void {
    this.reserve(10);
    let rest = BigInt.asUintN(64, BigInt(value));
    while (rest >= 0x80n) {
      this.buf[this.pos++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.buf[this.pos++] = Number(rest);
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 128)) size++;
  return size;
}
