-- Devices and lifetimes (0.2). Sessions of a 0.1 database keep working: last_active_at is
-- filled from the last rotation (or the sign-in) before it becomes NOT NULL.
ALTER TABLE "sessionkit_sessions" ADD COLUMN "last_active_at" timestamp with time zone;--> statement-breakpoint
UPDATE "sessionkit_sessions" SET "last_active_at" = COALESCE("rotated_at", "created_at");--> statement-breakpoint
ALTER TABLE "sessionkit_sessions" ALTER COLUMN "last_active_at" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "sessionkit_sessions" ADD COLUMN "user_agent" text;--> statement-breakpoint
ALTER TABLE "sessionkit_sessions" ADD COLUMN "ip" text;--> statement-breakpoint
ALTER TABLE "sessionkit_sessions" ADD COLUMN "remember" boolean DEFAULT true NOT NULL;--> statement-breakpoint
-- Sign-in under maxSessionsPerUser, in one round trip: insert, then end the user's least recently
-- active sessions beyond the cap (logged and announced like any revocation when a channel is
-- given), returning their handles. Sign-ins of one user queue on an advisory lock; being a
-- VOLATILE function, each statement after it takes a fresh snapshot (READ COMMITTED) and so sees
-- the sessions the previous sign-in committed. A single CTE could not: its snapshot predates the lock.
CREATE FUNCTION sessionkit_create_session(
  p_handle text, p_user_id text, p_jwt_payload jsonb, p_session_data jsonb, p_refresh_hash text,
  p_created_at timestamptz, p_expires_at timestamptz, p_user_agent text, p_ip text, p_remember boolean,
  p_max_sessions integer, p_notify_channel text
) RETURNS SETOF text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_handle text;
  v_id bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('sessionkit_sessions.user_id'), hashtext(p_user_id));
  INSERT INTO sessionkit_sessions (handle, user_id, jwt_payload, session_data, refresh_hash, created_at, expires_at,
                                   last_active_at, user_agent, ip, remember)
  VALUES (p_handle, p_user_id, p_jwt_payload, p_session_data, p_refresh_hash, p_created_at, p_expires_at,
          p_created_at, p_user_agent, p_ip, p_remember);
  FOR v_handle IN
    DELETE FROM sessionkit_sessions WHERE handle IN (
      SELECT handle FROM sessionkit_sessions
      WHERE user_id = p_user_id AND expires_at > p_created_at
      ORDER BY handle = p_handle DESC, last_active_at DESC, created_at DESC, handle
      OFFSET p_max_sessions
    ) RETURNING handle
  LOOP
    IF p_notify_channel IS NOT NULL THEN
      INSERT INTO sessionkit_revocations (handle, revoked_at) VALUES (v_handle, p_created_at) RETURNING id INTO v_id;
      PERFORM pg_notify(p_notify_channel, v_handle || ':' || v_id);
    END IF;
    RETURN NEXT v_handle;
  END LOOP;
END
$$;
