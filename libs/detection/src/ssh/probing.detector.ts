import type { AuthEvent, RiskSignal } from '@ratchet/contracts';
import { compileAddressSet, type AddressSet } from '@ratchet/kernel';
import { thresholdSignal, type Detector } from '../detector';
import { addressSetSetting, compileSettings, THRESHOLD_WINDOW_SETTINGS, type SettingReader, type ThresholdWindow } from '../detector-config';
import { addressEntityOf, NO_OPS, NO_SIGNALS } from '../event-reading';

export interface SshProbingParams extends ThresholdWindow {
  /** Addresses never counted: a load balancer's or a monitor's TCP health checks open and drop connections. */
  ignoreAddresses: AddressSet;
}

const READERS: Readonly<Record<string, SettingReader<SshProbingParams>>> = {
  ...THRESHOLD_WINDOW_SETTINGS,
  ignoreAddresses: addressSetSetting('ignoreAddresses'),
};

/** A scanner is noisy but not yet harmful: as `http.probing`, below a brute force (0.8). */
const SEVERITY = 0.6;

/**
 * The sshd parser's reasons for a connection that never reached authentication: no SSH
 * identification string at all (a port scan, a TCP health check), or a banner that is not SSH
 * (TLS, HTTP, a scanner's probe).
 */
function neverAuthenticated(event: AuthEvent): boolean {
  if (event.source.kind !== 'sshd' || event.action !== 'request' || event.outcome !== 'failure') return false;
  const reason = event.reason ?? '';
  return reason === 'no ssh identification string' || reason.startsWith('ssh banner exchange failed');
}

/**
 * An address opening SSH connections that never reach authentication: banner-exchange errors and
 * `Did not receive identification string` (OpenSSH), `threshold` within `window` (defaults: 6 in
 * 1m). A scanner fingerprinting the server, or one that speaks another protocol to port 22; no
 * credential is tried, so `auth.brute-force` never sees it. Each connection counts once (event
 * ids: a repeated line is numbered by the collector). `ignoreAddresses` (addresses or CIDRs,
 * default none) leaves out health checks that connect and close.
 */
export const sshProbingDetector: Detector<SshProbingParams> = {
  id: 'ssh.probing',
  signalType: 'ssh_probing',
  reads: { actions: ['request'] },
  summary: 'An address whose SSH connections ended before authentication (no identification string, banner exchange errors) `threshold` times within `window` (defaults: 6 in 1m), except `ignoreAddresses`',
  defaults: { threshold: 6, windowMs: 60_000, ignoreAddresses: compileAddressSet('ignoreAddresses', []) },
  compile(raw) {
    return compileSettings(this.id, raw, this.defaults, READERS);
  },
  plan(event, p) {
    const ip = event.client?.ip;
    if (ip === undefined || !neverAuthenticated(event) || p.ignoreAddresses.has(ip)) return NO_OPS;
    return [{ kind: 'window.count', key: 'ssh-probing:ip', of: ip, member: event.id, at: event.ts, windowMs: p.windowMs }];
  },
  detect(event, [connections], p): RiskSignal[] {
    if (typeof connections !== 'number' || connections < p.threshold) return NO_SIGNALS;
    const entity = addressEntityOf(event);
    if (entity === undefined) return NO_SIGNALS;
    return [thresholdSignal(this, event, entity, { count: connections, countName: 'connections', threshold: p.threshold, windowMs: p.windowMs }, SEVERITY)];
  },
};
