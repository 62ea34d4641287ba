CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"secret_hash" text NOT NULL,
	"secret_enc" text NOT NULL,
	"role" text DEFAULT 'admin' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "audit_logs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" text NOT NULL,
	"before" jsonb,
	"after" jsonb,
	"request_id" text
);
--> statement-breakpoint
CREATE TABLE "deployment_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"deployment_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"type" text NOT NULL,
	"from_status" text,
	"to_status" text,
	"weights" jsonb,
	"reason" text,
	"data" jsonb
);
--> statement-breakpoint
CREATE TABLE "deployments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"function_name" text NOT NULL,
	"alias" text NOT NULL,
	"from_version" integer,
	"to_version" integer NOT NULL,
	"strategy" text NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"analysis" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text NOT NULL,
	"phase" text NOT NULL,
	"progress" integer DEFAULT 0 NOT NULL,
	"current_weights" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"alias_before" jsonb,
	"reason" text,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "function_aliases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"function_id" uuid NOT NULL,
	"function_name" text NOT NULL,
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"routing_config" jsonb DEFAULT '{"additionalVersionWeights":{}}'::jsonb NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "function_aliases_function_id_name_unique" UNIQUE("function_id","name")
);
--> statement-breakpoint
CREATE TABLE "function_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"function_id" uuid NOT NULL,
	"function_name" text NOT NULL,
	"version" integer NOT NULL,
	"code_sha256" text NOT NULL,
	"code_size" integer NOT NULL,
	"code_location" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"runtime" text NOT NULL,
	"handler" text NOT NULL,
	"memory_size" integer NOT NULL,
	"timeout" integer NOT NULL,
	"environment" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"protocol" text NOT NULL,
	"instance_concurrency" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "function_versions_function_id_version_unique" UNIQUE("function_id","version")
);
--> statement-breakpoint
CREATE TABLE "functions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"runtime" text NOT NULL,
	"handler" text NOT NULL,
	"memory_size" integer NOT NULL,
	"timeout" integer NOT NULL,
	"environment" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"tags" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"protocol" text DEFAULT 'fast' NOT NULL,
	"instance_concurrency" integer DEFAULT 1 NOT NULL,
	"max_instances" integer,
	"reserved_concurrency" integer,
	"provisioned_concurrency" integer DEFAULT 0 NOT NULL,
	"keep_warm" jsonb,
	"scaling" jsonb,
	"latest_version" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "functions_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "runner_nodes" (
	"id" text PRIMARY KEY NOT NULL,
	"pool" text NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"address" text NOT NULL,
	"backend" text NOT NULL,
	"capacity" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text NOT NULL,
	"last_heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "triggers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"function_name" text NOT NULL,
	"type" text NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "deployment_events" ADD CONSTRAINT "deployment_events_deployment_id_deployments_id_fk" FOREIGN KEY ("deployment_id") REFERENCES "public"."deployments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "function_aliases" ADD CONSTRAINT "function_aliases_function_id_functions_id_fk" FOREIGN KEY ("function_id") REFERENCES "public"."functions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "function_versions" ADD CONSTRAINT "function_versions_function_id_functions_id_fk" FOREIGN KEY ("function_id") REFERENCES "public"."functions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_logs_resource_idx" ON "audit_logs" USING btree ("resource_type","resource_id","id");--> statement-breakpoint
CREATE INDEX "deployment_events_deployment_id_idx" ON "deployment_events" USING btree ("deployment_id","id");--> statement-breakpoint
CREATE INDEX "deployments_function_alias_status_idx" ON "deployments" USING btree ("function_name","alias","status");--> statement-breakpoint
CREATE INDEX "function_aliases_function_name_name_idx" ON "function_aliases" USING btree ("function_name","name");--> statement-breakpoint
CREATE INDEX "function_versions_function_name_version_idx" ON "function_versions" USING btree ("function_name","version");--> statement-breakpoint
CREATE INDEX "triggers_function_name_idx" ON "triggers" USING btree ("function_name");