CREATE TABLE "invocations" (
	"request_id" text PRIMARY KEY NOT NULL,
	"function_name" text NOT NULL,
	"qualifier" text,
	"version" integer,
	"source" text NOT NULL,
	"status" text NOT NULL,
	"attempts" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"result" text,
	"error" jsonb,
	"destination" text,
	"duplicates" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "functions" ADD COLUMN "event_invoke_config" jsonb;--> statement-breakpoint
ALTER TABLE "triggers" ADD COLUMN "qualifier" text DEFAULT '$LATEST' NOT NULL;--> statement-breakpoint
ALTER TABLE "triggers" ADD COLUMN "execution_count" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "triggers" ADD COLUMN "failure_count" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "triggers" ADD COLUMN "last_executed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "triggers" ADD COLUMN "last_error" text;--> statement-breakpoint
ALTER TABLE "triggers" ADD COLUMN "last_fired_tick" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "invocations_function_created_idx" ON "invocations" USING btree ("function_name","created_at");--> statement-breakpoint
CREATE INDEX "invocations_status_idx" ON "invocations" USING btree ("status");