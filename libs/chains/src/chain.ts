import { ACTION_KINDS, type ActionKind, type EnforcementMode } from '@ratchet/contracts';
import { AppError, parseDuration } from '@ratchet/kernel';

/**
 * An if-then chain: when a score update's triggering signal matches, the highest step whose
 * `minScore` the score reaches decides the actions, each with a time to live.
 * (Conditions are data here; CEL conditions replace `match`/`minScore` with the chain engine.)
 */
export interface ChainSpec {
  name: string;
  match: { signalTypes: readonly string[] };
  steps: ReadonlyArray<{ minScore: number; then: ReadonlyArray<{ action: string; ttl: string | number }> }>;
  mode?: EnforcementMode;
}

export interface CompiledChain {
  name: string;
  signalTypes: ReadonlySet<string>;
  /** Ordered by `minScore`, lowest first. */
  steps: ReadonlyArray<{ index: number; minScore: number; then: ReadonlyArray<{ action: ActionKind; ttlMs: number }> }>;
  mode: EnforcementMode;
}

export class InvalidChain extends AppError {
  constructor(chain: string, field: string, problem: string) {
    super('CHAINS.INVALID_CHAIN', `chain ${chain}: ${field}: ${problem}`);
  }
}

/** Credential attacks at the ingress: deny the address for 15 minutes. */
export const DEFAULT_CHAINS: readonly ChainSpec[] = [
  {
    name: 'credential-attack',
    match: { signalTypes: ['brute_force', 'password_spray'] },
    steps: [{ minScore: 50, then: [{ action: 'ingress.deny', ttl: '15m' }] }],
    mode: 'enforce',
  },
];

export function compileChains(specs: readonly ChainSpec[]): CompiledChain[] {
  const names = new Set<string>();
  return specs.map((spec, i) => {
    const name = typeof spec.name === 'string' && spec.name ? spec.name : `#${i}`;
    if (names.has(name)) throw new InvalidChain(name, 'name', 'is used by another chain');
    names.add(name);
    if (!isNonEmptyArray(spec.match?.signalTypes)) {
      throw new InvalidChain(name, 'match.signalTypes', 'must list at least one signal type');
    }
    if (!isNonEmptyArray(spec.steps)) throw new InvalidChain(name, 'steps', 'must have at least one step');
    const steps = spec.steps.map((step, s) => {
      if (typeof step.minScore !== 'number' || step.minScore < 0 || step.minScore > 100) {
        throw new InvalidChain(name, `steps[${s}].minScore`, 'must be a number from 0 to 100');
      }
      if (!isNonEmptyArray(step.then)) {
        throw new InvalidChain(name, `steps[${s}].then`, 'must list at least one action');
      }
      const then = step.then.map((a: ChainSpec['steps'][number]['then'][number], k: number) => {
        if (!(ACTION_KINDS as readonly string[]).includes(a.action)) {
          throw new InvalidChain(name, `steps[${s}].then[${k}].action`, `"${a.action}" is not an action (known: ${ACTION_KINDS.join(', ')})`);
        }
        let ttlMs: number;
        try {
          ttlMs = parseDuration(a.ttl);
        } catch {
          throw new InvalidChain(name, `steps[${s}].then[${k}].ttl`, `"${a.ttl}" is not a duration such as 15m`);
        }
        if (ttlMs <= 0) throw new InvalidChain(name, `steps[${s}].then[${k}].ttl`, 'must be longer than zero');
        return { action: a.action as ActionKind, ttlMs };
      });
      return { index: s, minScore: step.minScore, then };
    });
    const mode = spec.mode ?? 'enforce';
    if (mode !== 'enforce' && mode !== 'shadow') throw new InvalidChain(name, 'mode', 'must be enforce or shadow');
    return { name, signalTypes: new Set(spec.match.signalTypes), steps: [...steps].sort((a, b) => a.minScore - b.minScore), mode };
  });
}

/** Checks input read from files, whatever its declared type says. */
function isNonEmptyArray(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}
