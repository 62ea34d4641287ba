/**
 * The queue trigger contract on a real RabbitMQ (TEST_AMQP_URL). The test sees only ready messages
 * (no management API), so acking is covered by the "not delivered again" and "stopped mid-batch" checks.
 */
import { TEST_AMQP_URL, serviceSkipReason } from "../../../../tests/support/services.ts";
import { rabbitBroker } from "../../../../tests/support/queue-brokers.ts";
import { runQueueContract } from "./queue-source.contract.ts";

runQueueContract(() => rabbitBroker, await serviceSkipReason("rabbitmq", TEST_AMQP_URL));
