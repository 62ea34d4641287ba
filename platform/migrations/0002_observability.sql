CREATE TABLE "function_logs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"function_name" text NOT NULL,
	"version" integer NOT NULL,
	"request_id" text,
	"instance_id" text NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"stream" text NOT NULL,
	"message" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "usage_hourly" (
	"function_name" text NOT NULL,
	"version" integer NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"invocations" bigint DEFAULT 0 NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	"cold_starts" bigint DEFAULT 0 NOT NULL,
	"billed_ms" bigint DEFAULT 0 NOT NULL,
	"gb_seconds" double precision DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_hourly_function_name_version_hour_pk" PRIMARY KEY("function_name","version","hour")
);
--> statement-breakpoint
ALTER TABLE "functions" ADD COLUMN "log_retention_days" integer;--> statement-breakpoint
ALTER TABLE "functions" ADD COLUMN "log_max_bytes" bigint;--> statement-breakpoint
CREATE INDEX "function_logs_function_id_idx" ON "function_logs" USING btree ("function_name","id");--> statement-breakpoint
CREATE INDEX "function_logs_request_id_idx" ON "function_logs" USING btree ("function_name","request_id");--> statement-breakpoint
CREATE INDEX "function_logs_at_idx" ON "function_logs" USING btree ("at");--> statement-breakpoint
CREATE INDEX "usage_hourly_hour_idx" ON "usage_hourly" USING btree ("hour");