-- Who watched which camera, from when to when: public-security video access must be traceable. A row is written
-- when a viewer's stream starts and closed when it ends (or by the next start of the instance that held it).
CREATE TABLE video_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  username text NOT NULL,
  camera_id uuid NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
  -- the API instance that served the viewer, and the viewer's address
  instance_id text NOT NULL,
  remote_addr text,
  started_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  end_reason text,
  bytes_sent bigint NOT NULL DEFAULT 0,
  CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX video_sessions_camera ON video_sessions (camera_id, started_at);
CREATE INDEX video_sessions_user ON video_sessions (user_id, started_at);
CREATE INDEX video_sessions_open ON video_sessions (instance_id) WHERE ended_at IS NULL;
