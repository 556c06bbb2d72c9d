import { setTimeout as wait } from 'node:timers/promises';
import { ManualClock, systemClock } from './clock';
import { describeClockContract } from '@ratchet/testing';

describeClockContract('system', systemClock, async (ms) => {
  await wait(ms + 1);
});

const manual = new ManualClock(Date.parse('2026-11-24T10:00:00Z'));
describeClockContract('manual', manual, async (ms) => manual.advance(ms));
