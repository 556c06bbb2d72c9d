import { Controller, Get, Inject, Query } from '@nestjs/common';
import { SIGNAL_STORE, type SignalStore } from '@ratchet/risk';
import { encodeCursor, readSignalQuery, signalView, type SignalView } from './signal-api';

/**
 * GET /v1/signals?type=&entity=&detector=&since=&until=&limit=&cursor=: recent signals, newest
 * first (event time, then id). `next`, when present, is the cursor of the following page.
 */
@Controller('v1/signals')
export class SignalsController {
  constructor(@Inject(SIGNAL_STORE) private readonly signals: SignalStore) {}

  @Get()
  async list(@Query() raw: Record<string, unknown>): Promise<{ signals: SignalView[]; next?: string }> {
    const page = await this.signals.query(readSignalQuery(raw));
    return { signals: page.signals.map(signalView), ...(page.next ? { next: encodeCursor(page.next) } : {}) };
  }
}
