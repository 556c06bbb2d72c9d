/** What a service must have before it takes traffic: each feature registers its checks. */
export class Readiness {
  private readonly checks = new Map<string, () => Promise<boolean> | boolean>();

  register(name: string, check: () => Promise<boolean> | boolean): void {
    this.checks.set(name, check);
  }

  async report(): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
    const checks: Record<string, boolean> = {};
    for (const [name, check] of this.checks) {
      try {
        checks[name] = await check();
      } catch {
        checks[name] = false;
      }
    }
    return { ready: Object.values(checks).every(Boolean), checks };
  }
}
