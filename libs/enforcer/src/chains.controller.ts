import { Controller, Get, Inject } from '@nestjs/common';
import type { ChainDocument } from '@ratchet/chains';
import { ChainSetService } from './chain-set.service';

export interface ChainSetView {
  source: string;
  loadedAt: string;
  /** The last reload refused since the set in force was loaded, with the reason. */
  lastError?: string;
  chains: Array<{ name: string; mode: string; spec: ChainDocument['spec']; description?: string }>;
}

/** GET /v1/chains: the chains in force, as their documents wrote them. */
@Controller('v1/chains')
export class ChainsController {
  constructor(@Inject(ChainSetService) private readonly chains: ChainSetService) {}

  @Get()
  list(): ChainSetView {
    const { source, loadedAt, lastError } = this.chains.status();
    return {
      source,
      loadedAt: loadedAt.toISOString(),
      ...(lastError ? { lastError } : {}),
      chains: this.chains.chains().map((c) => ({ name: c.name, mode: c.mode, ...(c.description ? { description: c.description } : {}), spec: c.document.spec })),
    };
  }
}
