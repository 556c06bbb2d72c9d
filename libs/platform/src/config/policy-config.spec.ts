import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_POLICY_SETTINGS } from '@ratchet/policy';
import { readPolicyConfig } from './policy-config';

describe('readPolicyConfig', () => {
  it('leaves the policy path off, with the documented defaults, when nothing is set', () => {
    assert.deepEqual(readPolicyConfig({}), { targets: [], settings: DEFAULT_POLICY_SETTINGS, reconcileMs: 10_000 });
  });

  it('reads targets, VirtualServers and the Istio ingress gateway', () => {
    const config = readPolicyConfig({
      RATCHET_POLICY_TARGETS: 'nginx-ingress-policy,istio-authorization-policy',
      RATCHET_POLICY_NGINX_VIRTUALSERVERS: 'shop/storefront, api/public',
      RATCHET_POLICY_ISTIO_INGRESS_NAMESPACE: 'gateways',
      RATCHET_POLICY_ISTIO_INGRESS_SELECTOR: 'app=edge,istio=ingressgateway',
    });
    assert.deepEqual(config.targets.map((t) => t.name), ['nginx-ingress-policy', 'istio-authorization-policy']);
    assert.deepEqual(config.settings.nginxVirtualServers.map((v) => `${v.namespace}/${v.name}`), ['shop/storefront', 'api/public']);
    assert.deepEqual(config.settings.istioIngressGateway, { namespace: 'gateways', labels: { app: 'edge', istio: 'ingressgateway' } });
  });

  for (const [variable, value, problem] of [
    ['RATCHET_POLICY_TARGETS', 'istio-authorisation-policy', /RATCHET_POLICY_TARGETS: "istio-authorisation-policy" is not a policy target/],
    ['RATCHET_POLICY_NGINX_VIRTUALSERVERS', 'storefront', /RATCHET_POLICY_NGINX_VIRTUALSERVERS: "storefront" must be namespace\/name/],
    ['RATCHET_POLICY_NAMESPACE', 'Ratchet_System', /RATCHET_POLICY_NAMESPACE: "Ratchet_System" is not a namespace name/],
    ['RATCHET_POLICY_ISTIO_INGRESS_SELECTOR', 'istio', /RATCHET_POLICY_ISTIO_INGRESS_SELECTOR: "istio" is not a label key=value/],
  ] as const) {
    it(`refuses ${variable}=${value} naming the variable`, () => {
      assert.throws(() => readPolicyConfig({ [variable]: value }), problem);
    });
  }
});
