/**
 * Where the real Kafka and Redis of the test run are. `npm test` starts both on loopback
 * (scripts/infra.sh) and exports these variables; a missing one is a set-up error, never a skip.
 */
export function testInfra(): { kafkaBrokers: string[]; redisUrl: string } {
  const brokers = process.env['KAFKA_BROKERS'];
  const redisUrl = process.env['REDIS_URL'];
  if (!brokers || !redisUrl) {
    throw new Error('KAFKA_BROKERS and REDIS_URL must be set: run the suite with `npm test`, which starts Kafka and Redis on loopback');
  }
  return { kafkaBrokers: brokers.split(','), redisUrl };
}

/** A name no other test uses, for topics, groups and key prefixes on shared infrastructure. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
