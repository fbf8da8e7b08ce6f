-- The device of a session evicted by maxSessionsPerUser (0.2): its `revoked` event says which
-- device was signed out. The same sign-in as sessionkit_create_session (0001, kept for instances
-- of the previous release during a rolling deploy), returning each evicted session's User-Agent
-- and IP with its handle, still in the one round trip.
CREATE FUNCTION sessionkit_create_session_capped(
  p_handle text, p_user_id text, p_jwt_payload jsonb, p_session_data jsonb, p_refresh_hash text,
  p_created_at timestamptz, p_expires_at timestamptz, p_user_agent text, p_ip text, p_remember boolean,
  p_max_sessions integer, p_notify_channel text
) RETURNS TABLE (evicted_handle text, evicted_user_agent text, evicted_ip text) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_row record;
  v_id bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('sessionkit_sessions.user_id'), hashtext(p_user_id));
  INSERT INTO sessionkit_sessions (handle, user_id, jwt_payload, session_data, refresh_hash, created_at, expires_at,
                                   last_active_at, user_agent, ip, remember)
  VALUES (p_handle, p_user_id, p_jwt_payload, p_session_data, p_refresh_hash, p_created_at, p_expires_at,
          p_created_at, p_user_agent, p_ip, p_remember);
  FOR v_row IN
    DELETE FROM sessionkit_sessions s WHERE s.handle IN (
      SELECT c.handle FROM sessionkit_sessions c
      WHERE c.user_id = p_user_id AND c.expires_at > p_created_at
      ORDER BY c.handle = p_handle DESC, c.last_active_at DESC, c.created_at DESC, c.handle
      OFFSET p_max_sessions
    ) RETURNING s.handle, s.user_agent, s.ip
  LOOP
    IF p_notify_channel IS NOT NULL THEN
      INSERT INTO sessionkit_revocations (handle, revoked_at) VALUES (v_row.handle, p_created_at) RETURNING id INTO v_id;
      PERFORM pg_notify(p_notify_channel, v_row.handle || ':' || v_id);
    END IF;
    evicted_handle := v_row.handle;
    evicted_user_agent := v_row.user_agent;
    evicted_ip := v_row.ip;
    RETURN NEXT;
  END LOOP;
END
$$;
