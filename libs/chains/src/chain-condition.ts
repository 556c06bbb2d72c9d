import { Environment } from '@marcbachmann/cel-js';
import type { RiskScore } from '@ratchet/contracts';
import { errorMessage, parseEntityRef } from '@ratchet/kernel';

/**
 * The variables a chain's CEL expressions see. Numbers are CEL doubles (`score >= 40` and
 * `signal.evidence.failures >= 20` compare as written); `signal.at` is epoch milliseconds.
 */
export interface ConditionInput {
  signal: {
    type: string;
    detector: string;
    entity: string;
    severity: number;
    confidence: number;
    evidence: Readonly<Record<string, number | string>>;
    at: number;
  };
  /** The entity's current score, 0–100, decayed to the signal's time. */
  score: number;
  entity: { kind: string; id: string };
  /** `none`, `low`, `medium`, `high`, `critical`. */
  level: string;
}

/**
 * One environment for every chain: declared variables, so a misspelt variable or field
 * (`signal.tpye`) fails at load rather than never matching. Optional types give
 * `signal.evidence.?users.orValue(0)` for evidence a detector does not always write.
 */
const ENVIRONMENT = new Environment({ homogeneousAggregateLiterals: false, enableOptionalTypes: true, limits: { maxAstNodes: 500, maxDepth: 32 } })
  .registerVariable({
    name: 'signal',
    schema: { type: 'string', detector: 'string', entity: 'string', severity: 'double', confidence: 'double', evidence: 'map<string, dyn>', at: 'double' },
  })
  .registerVariable('score', 'double')
  .registerVariable({ name: 'entity', schema: { kind: 'string', id: 'string' } })
  .registerVariable('level', 'string');

/** A compiled boolean expression. An evaluation error (a missing evidence key) reads as false. */
export interface Condition {
  readonly source: string;
  holds(input: ConditionInput): boolean;
}

/** Compiles a CEL expression that must yield a bool; a problem is returned, never thrown. */
export function compileCondition(source: unknown): Condition | { problem: string } {
  if (typeof source !== 'string' || source.trim() === '') return { problem: 'must be a CEL expression' };
  let evaluate: (input: ConditionInput) => unknown;
  try {
    const checked = ENVIRONMENT.check(source);
    if (!checked.valid) return { problem: `${JSON.stringify(source)} does not compile: ${firstLine(checked.error?.message)}` };
    if (checked.type !== 'bool') return { problem: `${JSON.stringify(source)} yields ${checked.type}, not a bool` };
    const parsed = ENVIRONMENT.parse(source);
    evaluate = (input) => parsed(input);
  } catch (err) {
    return { problem: `${JSON.stringify(source)} does not compile: ${firstLine(errorMessage(err))}` };
  }
  return {
    source,
    holds(input) {
      try {
        return evaluate(input) === true;
      } catch {
        return false;
      }
    },
  };
}

export function conditionInput(score: RiskScore): ConditionInput {
  const ref = parseEntityRef(score.entity);
  const { trigger } = score;
  return {
    signal: {
      type: trigger.type,
      detector: trigger.detector,
      entity: trigger.entity,
      severity: trigger.severity,
      confidence: trigger.confidence,
      evidence: trigger.evidence,
      at: trigger.at,
    },
    score: score.score,
    entity: { kind: ref?.kind ?? '', id: ref?.id ?? score.entity },
    level: score.level,
  };
}

function firstLine(message: string | undefined): string {
  return (message ?? 'unknown error').split('\n')[0] ?? '';
}
