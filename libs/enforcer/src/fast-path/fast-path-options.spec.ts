import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFastPathOptions } from './fast-path-options';

describe('the fast path read from the environment', () => {
  it('reads the caller token, and no token when the variable is unset or empty', () => {
    assert.equal(readFastPathOptions({ RATCHET_FAST_PATH_TOKEN: 'proxy-secret-0123456789' }, undefined).callerToken, 'proxy-secret-0123456789');
    assert.equal(readFastPathOptions({}, undefined).callerToken, undefined);
    assert.equal(readFastPathOptions({ RATCHET_FAST_PATH_TOKEN: '' }, undefined).callerToken, undefined);
  });

  it('refuses a caller token too short to be a secret, naming the variable and the length', () => {
    assert.throws(() => readFastPathOptions({ RATCHET_FAST_PATH_TOKEN: 'letmein' }, undefined), /^Error: RATCHET_FAST_PATH_TOKEN: is 7 characters; a caller token needs 16 or more$/);
  });

  it('serves ext_authz gRPC on the default port unless told another, and refuses one out of range', () => {
    assert.deepEqual(readFastPathOptions({}, 9191).extAuthzGrpc, { host: '127.0.0.1', port: 9191 });
    assert.deepEqual(readFastPathOptions({ RATCHET_EXT_AUTHZ_GRPC_PORT: '19191', RATCHET_EXT_AUTHZ_GRPC_HOST: '0.0.0.0' }, 9191).extAuthzGrpc, { host: '0.0.0.0', port: 19191 });
    assert.throws(() => readFastPathOptions({ RATCHET_EXT_AUTHZ_GRPC_PORT: '70000' }, 9191), /RATCHET_EXT_AUTHZ_GRPC_PORT/);
  });
});
