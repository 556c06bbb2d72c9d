import { AUTH_ACTIONS, PLANES, type AuthEvent } from '@ratchet/contracts';
import type { CompiledDetector, EventScope } from './detector';

/**
 * For each plane and action, the detectors whose scope (`Detector.reads`) holds it, as indexes in
 * catalogue order: the batch engine asks each event's detectors only. Most detectors are about one
 * plane or one action, so an event no longer passes through every `plan` and `detect` to learn
 * that most have nothing to say.
 */
export class EventRoutes {
  /** Plane, then action: two lookups of strings the event holds, rather than one of a string built per event. */
  private readonly table = new Map<string, Map<string, readonly number[]>>();
  private readonly all: readonly number[];

  constructor(detectors: readonly CompiledDetector[]) {
    this.all = detectors.map((_, i) => i);
    for (const plane of PLANES) {
      const byAction = new Map<string, readonly number[]>();
      this.table.set(plane, byAction);
      for (const action of AUTH_ACTIONS) {
        const routed: number[] = [];
        detectors.forEach((detector, i) => {
          if (holds(detector.reads, plane, action)) routed.push(i);
        });
        byAction.set(action, routed);
      }
    }
  }

  /** The indexes of the detectors that read `event`, in catalogue order. */
  of(event: AuthEvent): readonly number[] {
    // An admitted event always has a known plane and action; anything else goes to every detector.
    return this.table.get(event.plane)?.get(event.action) ?? this.all;
  }
}

const cache = new WeakMap<readonly CompiledDetector[], EventRoutes>();

/** The routes of a compiled catalogue, built once per array of detectors. */
export function routesOf(detectors: readonly CompiledDetector[]): EventRoutes {
  let routes = cache.get(detectors);
  if (routes === undefined) {
    routes = new EventRoutes(detectors);
    cache.set(detectors, routes);
  }
  return routes;
}

/** Whether a scope holds events of `plane` and `action`; no scope holds every event. */
export function holds(scope: EventScope | undefined, plane: string, action: string): boolean {
  if (scope === undefined) return true;
  return (scope.planes === undefined || (scope.planes as readonly string[]).includes(plane)) && (scope.actions === undefined || (scope.actions as readonly string[]).includes(action));
}
