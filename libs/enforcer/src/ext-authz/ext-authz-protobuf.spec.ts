import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSync, type MethodDefinition, type ServiceDefinition } from '@grpc/proto-loader';
import { loadAuthorizationService } from './ext-authz-grpc.server';
import type { ProtoCheckResponse } from './ext-authz-messages';
import { decodeCheckRequest, encodeCheckResponse, MAX_HEADERS, MAX_KEPT_ENTRIES } from './ext-authz-protobuf';
import { JWT_AUTHN, sidecarRequest } from './fixtures/sidecar-check-request';

/** Envoy's fuller CheckRequest (fields Ratchet does not declare included), encoded by protobufjs. */
const envoy = (loadSync('envoy-check-request.proto', { includeDirs: [join(__dirname, 'fixtures')], keepCase: true, longs: String, enums: Number, defaults: false, oneofs: true })[
  'envoy.service.auth.v3.Authorization'
] as ServiceDefinition)['Check'] as MethodDefinition<object, object>;
/** Ratchet's own ./proto subset through grpc-js: what the hand-written writer must agree with. */
const ratchet = loadAuthorizationService()['Check'];
if (!ratchet) throw new Error('Authorization service without Check');

const READING = { headers: ['x-ratchet-fail-mode', 'x-jwt-sub'] };
const JWT = JWT_AUTHN;

/** …and in those it does not, which protobuf merges into the same message. */
const sidecarExtras = {
  attributes: {
    source: { address: { socket_address: { port_value: 51_334 } }, labels: { app: 'rider', 'security.istio.io/tlsMode': 'istio' }, certificate: '-----BEGIN%20CERTIFICATE-----%0AMIIB...' },
    destination: { address: { socket_address: { port_value: 8080 } } },
    request: { time: { seconds: '1795601234', nanos: 512_000_000 }, http: { size: '-1', protocol: 'HTTP/2', raw_body: Buffer.from('{"item":42}') } },
    metadata_context: { typed_filter_metadata: { 'envoy.filters.http.set_metadata': { type_url: 'type.googleapis.com/google.protobuf.Struct', value: Buffer.from([0x0a, 0x00]) } } },
    tls_session: { sni: 'orders.shop.svc.cluster.local' },
  },
};

const encodeEnvoy = (message: object): Buffer => envoy.requestSerialize(message);
/** A full sidecar request: Envoy's extra fields on either side of the ones Ratchet declares. */
const sidecarBytes = (): Buffer => Buffer.concat([encodeEnvoy(sidecarExtras), ratchet.requestSerialize(sidecarRequest), encodeEnvoy({ attributes: { request: { http: { query: 'page=2' } } } })]);

describe('the ext_authz protobuf reader', () => {
  it('reads the fields the verdict needs from a request protobufjs encodes with Envoy’s other fields merged in', () => {
    const decoded = decodeCheckRequest(sidecarBytes(), READING);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
    assert.deepEqual(JSON.parse(JSON.stringify(decoded.request)), {
      attributes: {
        source: { address: { socket_address: { address: '10.8.0.12' } }, principal: 'spiffe://cluster.local/ns/shop/sa/rider' },
        request: { http: { method: 'POST', headers: { 'x-ratchet-fail-mode': 'closed', 'x-jwt-sub': 'header-sub@example.com' }, path: '/v1/orders?page=2', host: 'orders.shop.svc.cluster.local' } },
        context_extensions: { 'ratchet-fail-mode': 'open', 'virtual-host': 'orders' },
        metadata_context: { filter_metadata: { [JWT]: { fields: { jwt_payload: { structValue: { fields: { sub: { stringValue: 'bob@example.com' }, iss: { stringValue: 'https://idp.example.com' }, exp: {}, email_verified: {}, groups: {} } } } } } } },
      },
    });
  });

  it('reads headers Envoy sends as a header_map of raw values (encode_raw_headers)', () => {
    const request = { attributes: { request: { http: { header_map: { headers: [{ key: 'x-jwt-sub', raw_value: Buffer.from('alice@example.com') }, { key: 'accept', raw_value: Buffer.from('*/*') }] } } } } };
    const decoded = decodeCheckRequest(encodeEnvoy(request), READING);
    assert.ok(decoded.ok);
    assert.deepEqual({ ...decoded.request.attributes?.request?.http?.headers }, { 'x-jwt-sub': 'alice@example.com' });
  });

  it('reads an empty request as one about nothing', () => {
    const decoded = decodeCheckRequest(Buffer.alloc(0), READING);
    assert.deepEqual(decoded, { ok: true, request: {} });
  });

  it('skips unknown fields of every wire type, a proto2 group included', () => {
    const known = ratchet.requestSerialize({ attributes: { source: { principal: 'spiffe://cluster.local/ns/shop/sa/cart' } } });
    const unknown = Buffer.from([
      0x28, 0xac, 0x02, // field 5, varint 300
      0x31, 1, 2, 3, 4, 5, 6, 7, 8, // field 6, fixed64
      0x3d, 1, 2, 3, 4, // field 7, fixed32
      0x43, 0x08, 0x01, 0x12, 0x01, 0x78, 0x44, // field 8, a group holding a varint and a string
      0x4a, 0x02, 0x0a, 0x00, // field 9, bytes
    ]);
    const decoded = decodeCheckRequest(Buffer.concat([unknown, known, unknown]), READING);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
    assert.equal(decoded.request.attributes?.source?.principal, 'spiffe://cluster.local/ns/shop/sa/cart');
  });

  it('refuses every truncation of a real request with a reason, never an exception', () => {
    const bytes = ratchet.requestSerialize(sidecarRequest);
    let refused = 0;
    for (let length = 1; length < bytes.length; length++) {
      const decoded = decodeCheckRequest(bytes.subarray(0, length), READING);
      if (!decoded.ok) {
        refused++;
        assert.match(decoded.reason, /^(CheckRequest|attributes)/);
      }
    }
    // Only a cut inside the outer length-delimited field can go unnoticed: none here, it spans the whole message.
    assert.equal(refused, bytes.length - 1);
  });

  it('names the field whose length runs past the end', () => {
    const decoded = decodeCheckRequest(Buffer.from([0x0a, 0x04, 0x22, 0x09, 0x12, 0x01]), READING);
    assert.deepEqual(decoded, { ok: false, reason: 'attributes.request: length 9 runs past the end of its message (2 bytes left)' });
  });

  it('refuses wire types 6 and 7, field number 0 and an endless varint', () => {
    const reasons = [Buffer.from([0x0e]), Buffer.from([0x0f]), Buffer.from([0x00, 0x01]), Buffer.from([0x10, ...Array<number>(11).fill(0xff)])].map((bytes) => {
      const decoded = decodeCheckRequest(bytes, READING);
      return decoded.ok ? 'decoded' : decoded.reason;
    });
    assert.deepEqual(reasons, [
      'CheckRequest field 1: wire type 6 is not a protobuf wire type',
      'CheckRequest field 1: wire type 7 is not a protobuf wire type',
      'CheckRequest: field number 0 at byte 1',
      'CheckRequest: varint longer than 10 bytes at byte 11',
    ]);
  });

  it('refuses a group that never ends and groups nested without bound', () => {
    const open = decodeCheckRequest(Buffer.from([0x43, 0x08, 0x01]), READING);
    assert.deepEqual(open, { ok: false, reason: 'CheckRequest field 8: group without its end' });
    const deep = decodeCheckRequest(Buffer.alloc(10_000, 0x43), READING);
    assert.deepEqual(deep, { ok: false, reason: 'CheckRequest field 8: groups nested deeper than 32' });
  });
});

/** A length-delimited field: its tag, its length, its bytes. */
function bytesField(field: number, content: Buffer | string): Buffer {
  const body = typeof content === 'string' ? Buffer.from(content) : content;
  const length: number[] = [];
  for (let rest = body.length; ; rest = Math.floor(rest / 128)) {
    if (rest < 128) {
      length.push(rest);
      break;
    }
    length.push((rest % 128) | 0x80);
  }
  return Buffer.concat([Buffer.from([field * 8 + 2, ...length]), body]);
}

const decodedReason = (bytes: Buffer): string => {
  const decoded = decodeCheckRequest(bytes, READING);
  return decoded.ok ? 'decoded' : decoded.reason;
};

describe('the ext_authz protobuf reader on hostile bytes', () => {
  it('refuses a tag past field number 2^29 - 1 that protobufjs would truncate to attributes', () => {
    const honest = ratchet.requestSerialize({ attributes: { source: { principal: 'spiffe://cluster.local/ns/shop/sa/rider' } } });
    // Field 1 (0x0a) written as a five-byte varint with bit 32 set: 2^32 + 10.
    const hidden = Buffer.concat([Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x10]), honest.subarray(1)]);
    assert.equal((ratchet.requestDeserialize(hidden) as typeof sidecarRequest).attributes.source.principal, 'spiffe://cluster.local/ns/shop/sa/rider');
    assert.equal(decodedReason(hidden), 'CheckRequest: field number past 2^29 - 1 at byte 5');
  });

  it('refuses a field it reads sent with another wire type rather than skipping it', () => {
    const principalAsVarint = bytesField(1, bytesField(1, Buffer.from([0x20, 0x01])));
    assert.equal(decodedReason(principalAsVarint), 'attributes.source.principal: wire type 0, expected 2 (length-delimited)');
  });

  it('refuses an end-group tag that no group opened', () => {
    assert.equal(decodedReason(Buffer.from([0x44])), 'CheckRequest field 8: a group ends that never started');
  });

  it('reads the jwt_authn subject from a metadata entry whose value comes before its key, as protobufjs does', () => {
    const sub = bytesField(1, Buffer.concat([bytesField(1, 'sub'), bytesField(2, bytesField(3, 'bob@example.com'))]));
    const payload = bytesField(1, Buffer.concat([bytesField(1, 'jwt_payload'), bytesField(2, bytesField(5, sub))]));
    const valueFirst = bytesField(1, bytesField(11, bytesField(1, Buffer.concat([bytesField(2, payload), bytesField(1, JWT)]))));
    const decoded = decodeCheckRequest(valueFirst, READING);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
    const subOf = (request: unknown): unknown =>
      (request as typeof sidecarRequest).attributes.metadata_context.filter_metadata[JWT].fields.jwt_payload.structValue.fields.sub.stringValue;
    assert.equal(subOf(decoded.request), 'bob@example.com');
    assert.equal(subOf(ratchet.requestDeserialize(valueFirst)), 'bob@example.com');
  });

  it(`refuses more than ${MAX_KEPT_ENTRIES} context_extensions entries instead of building an object of each`, () => {
    const extensions = Object.fromEntries(Array.from({ length: MAX_KEPT_ENTRIES + 1 }, (_, i) => [`k${i}`, '']));
    assert.equal(decodedReason(ratchet.requestSerialize({ attributes: { context_extensions: extensions } })), `attributes.context_extensions: more than ${MAX_KEPT_ENTRIES} map entries in one request`);
  });

  it(`refuses more than ${MAX_KEPT_ENTRIES} jwt_authn claims counted at every depth`, () => {
    const claims = Object.fromEntries(Array.from({ length: MAX_KEPT_ENTRIES }, (_, i) => [`claim${i}`, { stringValue: 'x' }]));
    const request = { attributes: { metadata_context: { filter_metadata: { [JWT]: { fields: { jwt_payload: { structValue: { fields: claims } } } } } } } };
    assert.equal(decodedReason(ratchet.requestSerialize(request)), `attributes.metadata_context (jwt_authn): more than ${MAX_KEPT_ENTRIES} map entries in one request`);
  });

  it(`refuses more than ${MAX_HEADERS} request headers, though it keeps only the wanted ones`, () => {
    const headers = Object.fromEntries(Array.from({ length: MAX_HEADERS + 1 }, (_, i) => [`x-h${i}`, '']));
    assert.equal(decodedReason(ratchet.requestSerialize({ attributes: { request: { http: { headers } } } })), `attributes.request.http.headers: more than ${MAX_HEADERS} headers in one request`);
  });

  it('reads a wanted header whose raw value is not UTF-8 with U+FFFD, as protobufjs does, and decodes the request', () => {
    const request = { attributes: { request: { http: { header_map: { headers: [{ key: 'x-ratchet-fail-mode', raw_value: Buffer.from([0x63, 0x6c, 0x6f, 0x73, 0x65, 0x64, 0xff]) }] } } } } };
    const decoded = decodeCheckRequest(encodeEnvoy(request), READING);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
    assert.equal(decoded.request.attributes?.request?.http?.headers?.['x-ratchet-fail-mode'], 'closed\ufffd');
  });
});

describe('the ext_authz protobuf writer', () => {
  const roundTrip = (response: ProtoCheckResponse): unknown => ratchet.responseDeserialize(encodeCheckResponse(response));

  it('writes an OK answer grpc-js reads as OK with an ok_response', () => {
    assert.deepEqual(roundTrip({ status: { code: 0 }, ok_response: { headers: [] } }), { status: { code: 0 }, ok_response: {}, http_response: 'ok_response' });
  });

  it('writes a denial with its gRPC code, message, HTTP status and headers as grpc-js reads them', () => {
    const denial: ProtoCheckResponse = {
      status: { code: 7, message: 'credential-attack/0: brute_force — 20 failures' },
      denied_response: {
        status: { code: 403 },
        headers: [
          { header: { key: 'x-ratchet-decision', value: 'deny' } },
          { header: { key: 'x-ratchet-entity', value: 'svc:spiffe://cluster.local/ns/shop/sa/rider' } },
          { header: { key: 'x-ratchet-reason', value: 'x'.repeat(300) } },
        ],
        body: '',
      },
    };
    assert.deepEqual(roundTrip(denial), { status: denial.status, denied_response: { status: { code: 403 }, headers: denial.denied_response?.headers }, http_response: 'denied_response' });
  });

  it('writes a negative status code as protobuf’s ten-byte int32', () => {
    assert.deepEqual(roundTrip({ status: { code: -1 } }), { status: { code: -1 } });
  });
});
