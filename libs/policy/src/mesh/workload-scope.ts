import type { EnforcementAction } from '@ratchet/contracts';
import { actionSubject, isNamespaceName, parseSelector, stringParam } from '../action-subject';

/** The namespace and (optional) pod labels a workload action applies to. */
export interface WorkloadScope {
  namespace: string;
  matchLabels?: Record<string, string>;
}

/**
 * Reads where a workload action applies: `params.namespace`, else the namespace of the entity's
 * SPIFFE id; `params.selector` (`app=cart`) narrows it to some pods. `selectorRequired` refuses
 * without one (a NetworkPolicy cannot select pods by service account).
 */
export function workloadScope(action: EnforcementAction, selectorRequired: boolean): WorkloadScope | { refused: string } {
  const subject = actionSubject(action);
  const namespace = stringParam(action.params, 'namespace') ?? (subject.kind === 'svc' ? subject.workload?.namespace : undefined);
  if (namespace === undefined) {
    return { refused: `${action.action} needs params.namespace or a svc:spiffe://<td>/ns/<namespace>/sa/<sa> entity; ${action.entity} names no namespace` };
  }
  if (!isNamespaceName(namespace)) return { refused: `params.namespace "${namespace}" is not a namespace name` };
  const rawSelector = stringParam(action.params, 'selector');
  if (rawSelector === undefined) {
    return selectorRequired ? { refused: `${action.action} needs params.selector (the pods' labels, e.g. "app=cart")` } : { namespace };
  }
  const matchLabels = parseSelector(rawSelector);
  if ('invalid' in matchLabels) return { refused: `params.selector: ${matchLabels.invalid}` };
  return { namespace, matchLabels };
}
