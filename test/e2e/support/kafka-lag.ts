import { Kafka, logLevel, type Admin } from 'kafkajs';

/** How far a consumer group is behind on a topic: the sum over partitions of end offset − committed offset. */
export class KafkaLag {
  private readonly admin: Admin;

  constructor(brokers: string[]) {
    this.admin = new Kafka({ clientId: 'ratchet-e2e-lag', brokers, logLevel: logLevel.NOTHING }).admin();
  }

  async connect(): Promise<void> {
    await this.admin.connect();
  }

  async of(group: string, topic: string): Promise<number> {
    const [ends, committed] = await Promise.all([this.admin.fetchTopicOffsets(topic), this.admin.fetchOffsets({ groupId: group, topics: [topic] })]);
    const committedBy = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    let lag = 0;
    for (const end of ends) {
      const done = committedBy.get(end.partition) ?? -1;
      lag += Number(end.offset) - (done < 0 ? Number(end.low) : done);
    }
    return lag;
  }

  async close(): Promise<void> {
    await this.admin.disconnect();
  }
}
