/**
 * `hotswap.Trigger`: what makes a function run besides a direct invoke. An `Http` route (the
 * function as an API backend, answering under /fn on the control plane and on its gateway port)
 * a `Scheduled` event (EventBridge's rate() and cron(), or a standard cron in a time zone), a
 * `Queue` (an event source mapping on a Redis stream, a RabbitMQ queue or a JetStream stream), or a
 * `Stream` (records of a Redis stream or a NATS JetStream stream, in order per partition key).
 *
 * ```ts
 * new hotswap.Trigger("orders-api", { function: fn, qualifier: live.name, type: "Http",
 *   config: { methods: ["GET"], path: "/orders/{id}", auth: "none" } });
 * new hotswap.Trigger("nightly", { function: fn, type: "Scheduled", config: { schedule: "cron(0 3 * * ? *)" } });
 * new hotswap.Trigger("clicks", { function: fn, type: "Stream", config: { source: "redis", stream: "clicks", batchSize: 50 } });
 * new hotswap.Trigger("orders-queue", { function: fn, type: "Queue",
 *   config: { source: "rabbitmq", queue: "orders", batchSize: 10, deadLetter: { queue: "orders-dlq" } } });
 * ```
 */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { HttpTriggerConfig, QueueTriggerConfig, StreamTriggerConfig } from "../../protocol/api/triggers.ts";
import type { ScheduledTriggerConfig } from "../../protocol/api/triggers-scheduled.ts";
import { Function as HotswapFunction } from "./function.ts";
import { splitOptions, type ResourceOptions } from "./provider.ts";
import { triggerProvider } from "./trigger-provider.ts";

export const TRIGGER_TYPE = "pulumi-nodejs:dynamic/hotswap:Trigger";

/** An Http route: `methods` (or ["ANY"]), `path` with `{param}`s and a greedy `{proxy+}`, `auth` ("key" by default, or "none"), `cors`, `maxBodyBytes`. */
export type HttpTriggerArgs = z.input<typeof HttpTriggerConfig>;
/** A schedule: `schedule` (rate(5 minutes), cron(0 12 * * ? *), or a 5/6-field cron), `timezone`, `input`, `catchUp`. */
export type ScheduledTriggerArgs = z.input<typeof ScheduledTriggerConfig>;
/** A stream: `source` ("redis" or "nats"), `stream`, `subject` (NATS filter), `startingPosition`, `batchSize`, `parallelizationFactor`, `bisectBatchOnFunctionError`, `maximumRetryAttempts`, `maximumRecordAgeInSeconds` (-1, or 60..604800), `onFailure`. */
export type StreamTriggerArgs = z.input<typeof StreamTriggerConfig>;
/** A queue: `source` ("redis", "rabbitmq", "nats"), `stream` / `queue`, `batchSize`, `maximumBatchingWindowInSeconds`, `maxConcurrency`, `maxReceiveCount`, `deadLetter`. */
export type QueueTriggerArgs = z.input<typeof QueueTriggerConfig>;

interface TriggerArgsBase {
  /**
   * The function: a `hotswap.Function` or a function name. Changing it replaces the trigger.
   * @example fn
   */
  function: HotswapFunction | pulumi.Input<string>;
  /**
   * What the trigger invokes: a version number, an alias name, or $LATEST. Point it at an alias,
   * so rollouts move the trigger's traffic too.
   * @default "$LATEST"
   * @example live.name
   */
  qualifier?: pulumi.Input<string>;
  /**
   * A disabled trigger is kept but never fires (an Http route answers 404).
   * @default true
   */
  enabled?: pulumi.Input<boolean>;
}

export type TriggerArgs =
  | (TriggerArgsBase & {
      /** The trigger type. Changing it replaces the trigger. */
      type: "Http";
      /** @example { methods: ["GET"], path: "/orders/{id}", auth: "none", cors: { allowOrigins: ["https://app.example.com"] } } */
      config: pulumi.Input<HttpTriggerArgs>;
    })
  | (TriggerArgsBase & {
      type: "Scheduled";
      /** @example { schedule: "rate(5 minutes)" } */
      config: pulumi.Input<ScheduledTriggerArgs>;
    })
  | (TriggerArgsBase & {
      type: "Queue";
      /** @example { source: "redis", stream: "orders", batchSize: 10, maxReceiveCount: 3, deadLetter: { stream: "orders-dlq" } } */
      config: pulumi.Input<QueueTriggerArgs>;
    })
  | (TriggerArgsBase & {
      type: "Stream";
      /** @example { source: "nats", stream: "ORDERS", subject: "orders.created", startingPosition: "TRIM_HORIZON" } */
      config: pulumi.Input<StreamTriggerArgs>;
    });

export class Trigger extends pulumi.dynamic.Resource {
  /** The trigger's id on the platform (GET /api/v1/triggers/{id}). */
  declare readonly triggerId: pulumi.Output<string>;
  declare readonly functionName: pulumi.Output<string>;
  declare readonly type: pulumi.Output<string>;
  declare readonly qualifier: pulumi.Output<string>;
  declare readonly enabled: pulumi.Output<boolean>;
  /** The config as the platform applied it (defaults filled in). */
  declare readonly appliedConfig: pulumi.Output<Record<string, unknown>>;
  /** Http: the route's URL under /fn on the control plane, e.g. https://hotswap.example.com/fn/orders/{id}. */
  declare readonly url: pulumi.Output<string | undefined>;

  constructor(name: string, args: TriggerArgs, opts?: ResourceOptions) {
    if (!args || args.function === undefined || args.type === undefined || args.config === undefined) {
      throw new pulumi.RunError(`hotswap.Trigger "${name}": function, type and config are required, e.g. { function: fn, type: "Http", config: { methods: ["GET"], path: "/hello" } }.`);
    }
    const { connection, pulumiOpts } = splitOptions("hotswap.Trigger", name, opts);
    const fn = args.function;
    super(
      triggerProvider,
      name,
      {
        ...connection,
        resourceUrn: pulumi.createUrn(name, TRIGGER_TYPE, pulumiOpts.parent),
        functionName: fn instanceof HotswapFunction ? fn.name : fn,
        type: args.type,
        qualifier: args.qualifier,
        config: args.config,
        enabled: args.enabled,
        triggerId: undefined,
        appliedConfig: undefined,
        url: undefined,
      },
      pulumiOpts,
      "hotswap",
      "Trigger",
    );
  }
}
