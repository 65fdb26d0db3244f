CREATE TABLE "known_devices" (
	"user_id" uuid NOT NULL,
	"device_id" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "known_devices_user_id_device_id_pk" PRIMARY KEY("user_id","device_id")
);
--> statement-breakpoint
CREATE TABLE "phantom_email_codes" (
	"email_key" text PRIMARY KEY NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "known_devices" ADD CONSTRAINT "known_devices_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "phantom_email_codes_expires_at_idx" ON "phantom_email_codes" USING btree ("expires_at");--> statement-breakpoint
-- Devices that already hold a session are known to their accounts from the start.
INSERT INTO "known_devices" ("user_id", "device_id", "first_seen_at", "last_seen_at")
SELECT "user_id", "device_id", min("created_at"), max("last_used_at") FROM "sessions" GROUP BY "user_id", "device_id"
ON CONFLICT DO NOTHING;
