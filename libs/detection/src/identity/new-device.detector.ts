import type { AuthEvent } from '@ratchet/contracts';
import { firstSeenDetector } from './first-seen';
import { parseUserAgent } from './user-agent';

/**
 * A user's first successful login from a device: `client.deviceId` when the source has one (an
 * IdP's device registration), else the browser family, system and device type read from the
 * User-Agent — without versions, so a browser update is not a new device. Severity 0.4.
 */
export const newDeviceDetector = firstSeenDetector({
  id: 'auth.new-device',
  signalType: 'new_device',
  summary: 'The first successful login of a user from a device id, else browser and system, after `minHistory` logins (default 3)',
  keyPrefix: 'nd',
  evidenceName: 'device',
  severity: 0.4,
  valueOf: deviceOf,
});

function deviceOf(event: AuthEvent): string | undefined {
  const client = event.client;
  if (client?.deviceId) return `id:${client.deviceId}`;
  if (!client?.userAgent) return undefined;
  const { browser, os, device } = parseUserAgent(client.userAgent);
  return `ua:${withoutVersion(browser)}/${withoutVersion(os)}/${device}`;
}

function withoutVersion(name: string): string {
  return name.replace(/ [\d.]+$/, '');
}
