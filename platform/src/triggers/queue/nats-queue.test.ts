/** The queue trigger contract on a real NATS server with JetStream (TEST_NATS_URL): durable pull consumers. */
import { TEST_NATS_URL, serviceSkipReason } from "../../../../tests/support/services.ts";
import { natsBroker } from "../../../../tests/support/queue-brokers.ts";
import { runQueueContract } from "./queue-source.contract.ts";

runQueueContract(() => natsBroker, await serviceSkipReason("nats", TEST_NATS_URL));
