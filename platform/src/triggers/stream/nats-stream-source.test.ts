/** The Stream trigger consumer contract on the real NATS JetStream (TEST_NATS_URL): partition key from a header, checkpoints in a KV bucket. */
import { randomBytes } from "node:crypto";
import { connect, headers, StringCodec, type KV } from "nats";
import { TEST_NATS_URL, serviceSkipReason } from "../../../../tests/support/services.ts";
import type { StreamFailureRecord } from "./kinesis-event.ts";
import { CHECKPOINT_BUCKET, NatsStreamSource, natsCheckpointKey, PARTITION_KEY_HEADER } from "./nats-stream-source.ts";
import { streamConsumerContract, type BrokerHarness } from "./stream-consumer.contract.ts";

const sc = StringCodec();
const CLUSTER = "contract";

streamConsumerContract("NATS JetStream", async (): Promise<BrokerHarness | string> => {
  const skip = await serviceSkipReason("nats", TEST_NATS_URL);
  if (skip) return skip;
  const nc = await connect({ servers: TEST_NATS_URL });
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  const kv: KV = await js.views.kv(CHECKPOINT_BUCKET, { history: 1 });
  return {
    eventSource: "hotswap:nats",
    readWaitMs: 1000,
    source: (triggerId, config) => new NatsStreamSource(TEST_NATS_URL, CLUSTER, triggerId, config),
    async createStream() {
      const id = randomBytes(5).toString("hex");
      const stream = `hstest_stream_${id}`;
      const failStream = `${stream}_failures`;
      const subject = `hstest.${id}.events`;
      const failSubject = `hstest.${id}.failures`;
      // The stream also holds a subject the trigger filters out.
      await jsm.streams.add({ name: stream, subjects: [subject, `hstest.${id}.other`] });
      await jsm.streams.add({ name: failStream, subjects: [failSubject] });
      return {
        config: { stream, subject },
        onFailure: { subject: failSubject },
        append: async (partitionKey, data) => {
          await js.publish(`hstest.${id}.other`, sc.encode("filtered out"));
          const h = headers();
          h.set(PARTITION_KEY_HEADER, partitionKey);
          return String((await js.publish(subject, sc.encode(data), { headers: h })).seq);
        },
        failures: async () => {
          const out: StreamFailureRecord[] = [];
          const last = (await jsm.streams.info(failStream)).state.last_seq;
          for (let seq = 1; seq <= last; seq++) out.push(JSON.parse(sc.decode((await jsm.streams.getMessage(failStream, { seq })).data)) as StreamFailureRecord);
          return out;
        },
        checkpoint: async (triggerId) => {
          const e = await kv.get(natsCheckpointKey(CLUSTER, triggerId, stream));
          return e && e.operation === "PUT" ? sc.decode(e.value) : undefined;
        },
        remove: async (triggerIds) => {
          await jsm.streams.delete(stream).catch(() => false);
          await jsm.streams.delete(failStream).catch(() => false);
          for (const t of triggerIds) await kv.purge(natsCheckpointKey(CLUSTER, t, stream));
        },
      };
    },
    close: () => nc.close(),
  };
});
