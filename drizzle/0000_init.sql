CREATE TABLE "sessionkit_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"purpose" text NOT NULL,
	"algorithm" text NOT NULL,
	"slot" bigint NOT NULL,
	"public_jwk" jsonb,
	"private_jwk" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessionkit_revocations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"handle" text NOT NULL,
	"revoked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessionkit_sessions" (
	"handle" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"jwt_payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"session_data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"data_version" integer DEFAULT 0 NOT NULL,
	"refresh_hash" text NOT NULL,
	"previous_refresh_hash" text,
	"refresh_nonce" text,
	"refresh_generation" integer DEFAULT 0 NOT NULL,
	"rotated_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "sessionkit_keys_slot_idx" ON "sessionkit_keys" USING btree ("purpose","algorithm","slot");--> statement-breakpoint
CREATE INDEX "sessionkit_revocations_revoked_at_idx" ON "sessionkit_revocations" USING btree ("revoked_at");--> statement-breakpoint
CREATE INDEX "sessionkit_sessions_user_id_idx" ON "sessionkit_sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "sessionkit_sessions_expires_at_idx" ON "sessionkit_sessions" USING btree ("expires_at");