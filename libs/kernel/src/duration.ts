import { AppError } from './app-error';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Parses `250ms`, `30s`, `5m`, `1h`, `7d` (or a number of milliseconds) into milliseconds. */
export function parseDuration(raw: string | number, field = 'duration'): number {
  if (typeof raw === 'number') {
    if (Number.isFinite(raw) && raw >= 0) return raw;
    throw new InvalidDuration(field, String(raw));
  }
  const match = DURATION.exec(raw.trim());
  if (!match) throw new InvalidDuration(field, raw);
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] as string] as number));
}

/** Formats milliseconds with the largest unit that divides them exactly: 900000 → `15m`. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export class InvalidDuration extends AppError {
  constructor(field: string, value: string) {
    super('KERNEL.INVALID_DURATION', `${field}: "${value}" is not a duration (use e.g. 500ms, 30s, 5m, 1h, 7d)`);
  }
}
