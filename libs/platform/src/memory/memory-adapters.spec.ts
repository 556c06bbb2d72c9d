import { describeDecisionStoreContract, describeEventLogContract, describeSignalStoreContract, describeStateStoreContract, describeTokenBucketsContract } from '@ratchet/testing';
import { MemoryDecisionStore } from './memory-decision-store';
import { MemoryEventLog } from './memory-event-log';
import { MemorySignalStore } from './memory-signal-store';
import { MemoryStateStore } from './memory-state-store';
import { MemoryTokenBuckets } from './memory-token-buckets';

const sharedLog = new MemoryEventLog();
describeEventLogContract('memory', async () => sharedLog);
describeStateStoreContract('memory', async () => new MemoryStateStore());
describeDecisionStoreContract('memory', async () => {
  const store = new MemoryDecisionStore();
  return { a: store, b: store };
});
describeSignalStoreContract('memory', async (retention) => new MemorySignalStore(retention));
describeTokenBucketsContract('memory', async () => {
  const buckets = new MemoryTokenBuckets();
  return { a: buckets, b: buckets };
});
