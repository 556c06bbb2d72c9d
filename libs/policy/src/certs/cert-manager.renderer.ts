import type { EnforcementAction } from '@ratchet/contracts';
import { isNamespaceName, stringParam } from '../action-subject';
import type { PolicySettings, PolicyTarget, RenderOutcome } from '../policy-target';

/** Message cert-manager shows for a re-issue Ratchet asked for. */
export const RATCHET_REISSUE_REASON = 'RatchetTriggered';

/**
 * cert.rotate through cert-manager: what `cmctl renew` does — set the Certificate's `Issuing`
 * condition to True on its status subresource; cert-manager then issues a new certificate (new
 * key when `privateKey.rotationPolicy: Always`, the default since v1.18) and clears the condition.
 * One-shot: nothing to remove when the action expires. `params.certificate` names it (`ns/name`).
 */
export const certManagerTarget: PolicyTarget = {
  name: 'cert-manager',
  summary: "cert-manager Certificate re-issue (the Issuing condition, as `cmctl renew` sets it)",
  actions: ['cert.rotate'],
  api: [{ group: 'cert-manager.io', version: 'v1', resources: ['certificates'] }],
  owns: [],
  requiredRbac: [
    { apiGroup: 'cert-manager.io', resources: ['certificates'], verbs: ['get'] },
    { apiGroup: 'cert-manager.io', resources: ['certificates/status'], verbs: ['patch'] },
  ],
  render: renderReissue,
};

function renderReissue(action: EnforcementAction, _settings: PolicySettings): RenderOutcome {
  if (action.action !== 'cert.rotate') return { refused: `cert-manager does not render ${action.action}` };
  const ref = stringParam(action.params, 'certificate');
  const [namespace, name, extra] = ref?.split('/') ?? [];
  if (namespace === undefined || name === undefined || extra !== undefined || !isNamespaceName(namespace) || name === '') {
    return { refused: `cert.rotate needs params.certificate as "<namespace>/<name>", got ${JSON.stringify(ref ?? null)}` };
  }
  return {
    changes: [
      {
        kind: 'status',
        object: {
          apiVersion: 'cert-manager.io/v1',
          kind: 'Certificate',
          metadata: { name, namespace },
          status: {
            conditions: [
              {
                type: 'Issuing',
                status: 'True',
                reason: RATCHET_REISSUE_REASON,
                message: `Re-issue requested by Ratchet (${action.id}, chain ${action.reason.chain} step ${action.reason.step})`,
                lastTransitionTime: new Date(action.decidedAt).toISOString(),
              },
            ],
          },
        },
      },
    ],
  };
}
