/** The queue trigger contract on a real Redis (TEST_REDIS_URL): Redis Streams consumer groups. */
import { TEST_REDIS_URL, serviceSkipReason } from "../../../../tests/support/services.ts";
import { redisBroker } from "../../../../tests/support/queue-brokers.ts";
import { runQueueContract } from "./queue-source.contract.ts";

runQueueContract(() => redisBroker, await serviceSkipReason("redis", TEST_REDIS_URL));
