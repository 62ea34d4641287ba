CREATE TABLE "layer_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"layer_id" uuid NOT NULL,
	"layer_name" text NOT NULL,
	"version" integer NOT NULL,
	"code_sha256" text NOT NULL,
	"code_size" integer NOT NULL,
	"unzipped_size" bigint NOT NULL,
	"code_location" text NOT NULL,
	"compatible_runtimes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "layer_versions_layer_id_version_unique" UNIQUE("layer_id","version")
);
--> statement-breakpoint
CREATE TABLE "layers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"latest_version" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "layers_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "function_versions" ADD COLUMN "layers" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "functions" ADD COLUMN "layers" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "layer_versions" ADD CONSTRAINT "layer_versions_layer_id_layers_id_fk" FOREIGN KEY ("layer_id") REFERENCES "public"."layers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "layer_versions_layer_name_version_idx" ON "layer_versions" USING btree ("layer_name","version");