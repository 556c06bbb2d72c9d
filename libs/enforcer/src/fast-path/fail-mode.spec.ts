import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFailModes, failModeFor } from './fail-mode';

describe('fail modes', () => {
  const policy = compileFailModes('open', ['/admin=closed', '/admin/health=open', '/payments/=closed']);

  it('takes the longest matching path prefix, on segment boundaries, else the default', () => {
    assert.equal(failModeFor(policy, '/admin/users?id=7'), 'closed');
    assert.equal(failModeFor(policy, '/admin/health'), 'open');
    assert.equal(failModeFor(policy, '/payments'), 'closed');
    assert.equal(failModeFor(policy, '/administrator'), 'open');
    assert.equal(failModeFor(compileFailModes('closed', []), '/'), 'closed');
  });

  it('lets route configuration the client cannot touch open or close a route', () => {
    assert.equal(failModeFor(policy, '/admin', { trusted: 'open' }), 'open');
    assert.equal(failModeFor(policy, '/shop', { trusted: 'closed' }), 'closed');
  });

  it('lets a header only make a route stricter, so a client cannot open a closed route', () => {
    assert.equal(failModeFor(policy, '/shop', { requested: 'closed' }), 'closed');
    assert.equal(failModeFor(policy, '/admin', { requested: 'open' }), 'closed');
  });

  it('refuses a route entry that is not <prefix>=open|closed, naming it', () => {
    assert.throws(() => compileFailModes('open', ['/admin=shut']), { code: 'ENFORCER.INVALID_FAIL_MODE', message: 'RATCHET_FAIL_MODE_ROUTES: "/admin=shut": mode must be open or closed, not "shut"' });
    assert.throws(() => compileFailModes('open', ['admin=closed']), { message: 'RATCHET_FAIL_MODE_ROUTES: "admin=closed" must be <path prefix starting with />=open|closed' });
    assert.throws(() => compileFailModes('open', ['/admin']), { code: 'ENFORCER.INVALID_FAIL_MODE' });
  });
});
