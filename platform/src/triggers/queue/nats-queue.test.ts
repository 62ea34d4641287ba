/** The queue trigger contract on a real NATS server with JetStream (TEST_NATS_URL): durable pull consumers. */
import { randomBytes } from "node:crypto";
import { connect, headers, type NatsConnection } from "nats";
import { TEST_NATS_URL, serviceSkipReason } from "../../../../tests/support/services.ts";
import { runQueueContract, type QueueBroker } from "./queue-source.contract.ts";
import { openNatsQueue } from "./nats-queue.ts";

const skip = await serviceSkipReason("nats", TEST_NATS_URL);
let nc: NatsConnection | undefined;
const nats = async () => (nc ??= await connect({ servers: TEST_NATS_URL }));

const broker: QueueBroker = {
  source: "nats",
  names() {
    const n = `HSTEST_QUEUE_${randomBytes(5).toString("hex")}`;
    return { queue: { stream: n }, deadLetter: { stream: `${n}_DLQ` } };
  },
  open: (triggerId, config) => openNatsQueue({ url: TEST_NATS_URL, triggerId, config, staleAfterMs: 2000 }),
  async publish(config, messages) {
    const c = await nats();
    const jsm = await c.jetstreamManager();
    await jsm.streams.info(config.stream!).catch(() => jsm.streams.add({ name: config.stream!, subjects: [config.stream!] }));
    for (const m of messages) {
      const h = headers();
      for (const [k, v] of Object.entries(m.attributes ?? {})) h.set(k, v);
      await c.jetstream().publish(config.stream!, new TextEncoder().encode(m.body), { headers: h });
    }
  },
  async deadLetters(config) {
    const jsm = await (await nats()).jetstreamManager();
    const name = config.deadLetter!.stream!;
    const info = await jsm.streams.info(name).catch(() => undefined);
    const out = [];
    for (let seq = info?.state.first_seq ?? 1; info && seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(name, { seq });
      out.push({ body: new TextDecoder().decode(m.data), receiveCount: Number(m.header.get("Hotswap-Receive-Count")) });
    }
    return out;
  },
  async unsettled(config, triggerId) {
    const jsm = await (await nats()).jetstreamManager();
    const info = await jsm.consumers.info(config.stream!, config.group ?? `hotswap-${triggerId}`);
    return info.num_ack_pending + info.num_pending;
  },
  async remove(config) {
    const jsm = await (await nats()).jetstreamManager();
    for (const s of [config.stream!, config.deadLetter!.stream!]) await jsm.streams.delete(s).catch(() => undefined);
  },
  async close() {
    await nc?.close();
  },
};

runQueueContract(() => broker, skip);
