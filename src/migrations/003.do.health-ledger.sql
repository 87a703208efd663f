-- Probing, camera health and the availability ledger.

-- Raw results of the probe slots: one row per camera per scheduled slot (slot_at = the slot's start, so a
-- retried or duplicate job cannot add a second row), plus fast re-probes at their own second. Kept for a
-- short, configurable period: partitioned by day and dropped whole.
CREATE TABLE probe_results (
  camera_id uuid NOT NULL,
  slot_at timestamptz NOT NULL,
  kind text NOT NULL CHECK (kind IN ('slot', 'reprobe')),
  probed_at timestamptz NOT NULL,
  handshake text NOT NULL,
  status int,
  connect_ms real,
  rtsp_ms real,
  -- the stream layer when it ran: frames, keyframes, fps, bitrate, outcome
  stream jsonb,
  -- the picture layer when it ran: fault (or null) and its figures
  picture jsonb,
  error text,
  PRIMARY KEY (camera_id, slot_at)
) PARTITION BY RANGE (slot_at);
CREATE TABLE probe_results_default PARTITION OF probe_results DEFAULT;

-- The current health of each camera: the persisted input of the pure transition function, so a restart
-- neither forgets an outage nor raises it again.
CREATE TABLE camera_health (
  camera_id uuid PRIMARY KEY REFERENCES cameras (id) ON DELETE CASCADE,
  state text NOT NULL,
  reason text,
  since timestamptz NOT NULL,
  flapping boolean NOT NULL DEFAULT false,
  -- counters, last picture/compliance verdicts, recent change times
  memory jsonb NOT NULL,
  last_result_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX camera_health_state ON camera_health (state);

-- The ledger: what state each camera was in, from when to when. The open interval has "to" NULL.
CREATE TABLE state_intervals (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  camera_id uuid NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
  from_at timestamptz NOT NULL,
  to_at timestamptz,
  state text NOT NULL,
  reason text,
  CHECK (to_at IS NULL OR to_at >= from_at)
);
CREATE INDEX state_intervals_camera ON state_intervals (camera_id, from_at);
CREATE UNIQUE INDEX state_intervals_one_open ON state_intervals (camera_id) WHERE to_at IS NULL;

-- Durable health events (the outbox): written in the transaction of the state change, read by the alerting
-- stage from its last seen id. Pub/sub only fans out what is already stored here.
CREATE TABLE health_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  camera_id uuid NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  from_state text NOT NULL,
  to_state text NOT NULL,
  from_reason text,
  to_reason text,
  flapping boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX health_events_camera ON health_events (camera_id, id);

-- Approved maintenance windows and external-cause outages (power cut, carrier link): excluded from scheduled
-- time, the approval kept as evidence. They cover one camera or a node of the tree (and so its subtree).
CREATE TABLE availability_exclusions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('maintenance', 'external_cause')),
  camera_id uuid REFERENCES cameras (id) ON DELETE CASCADE,
  district_id uuid REFERENCES districts (id) ON DELETE CASCADE,
  from_at timestamptz NOT NULL,
  to_at timestamptz NOT NULL,
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  evidence text,
  status text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'approved', 'rejected')),
  requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
  decided_by uuid REFERENCES users (id) ON DELETE SET NULL,
  decided_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (to_at > from_at),
  CHECK ((camera_id IS NULL) <> (district_id IS NULL))
);
CREATE INDEX availability_exclusions_camera ON availability_exclusions (camera_id, from_at) WHERE camera_id IS NOT NULL;
CREATE INDEX availability_exclusions_district ON availability_exclusions (district_id, from_at) WHERE district_id IS NOT NULL;

-- The last picture of each camera, as the picture layer saw it (JPEG). In Postgres so that any API instance can
-- serve it, whichever worker took it.
CREATE TABLE camera_snapshots (
  camera_id uuid PRIMARY KEY REFERENCES cameras (id) ON DELETE CASCADE,
  taken_at timestamptz NOT NULL,
  jpeg bytea NOT NULL
);
