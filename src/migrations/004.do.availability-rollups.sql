-- Daily availability rollups: each camera's figures per local day, and their sums per node of the tree, so a
-- year of a county answers from a few hundred rows. Only whole local days that are over are rolled up; the
-- edges of a window, today and any day not (or no longer) rolled up are computed exactly from the ledger.

-- One camera over one local day: exactly cameraAvailability over the day's bounds. Only cameras alive that day.
CREATE TABLE availability_camera_daily (
  camera_id uuid NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
  day date NOT NULL,
  scheduled_ms bigint NOT NULL,
  online_ms bigint NOT NULL,
  effective_ms bigint NOT NULL,
  maintenance_ms bigint NOT NULL,
  external_cause_ms bigint NOT NULL,
  gap_ms bigint NOT NULL,
  unknown_ms bigint NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now(),
  -- a camera's days from the index alone: its rows are written a day at a time, so in the table a year of
  -- one camera lies on some 365 pages
  PRIMARY KEY (camera_id, day)
    INCLUDE (scheduled_ms, online_ms, effective_ms, maintenance_ms, external_cause_ms, gap_ms, unknown_ms)
);
-- a day's rows: the node rebuild and the invalidation of a whole day
CREATE INDEX availability_camera_daily_day ON availability_camera_daily (day);

-- One node of the tree over one local day: the sums of the camera rows of every camera below it (its site
-- and every node above), as the tree stood when the day was rolled up. No row: no camera below it that day.
CREATE TABLE availability_node_daily (
  node_id uuid NOT NULL REFERENCES districts (id) ON DELETE CASCADE,
  day date NOT NULL,
  scheduled_ms bigint NOT NULL,
  online_ms bigint NOT NULL,
  effective_ms bigint NOT NULL,
  maintenance_ms bigint NOT NULL,
  external_cause_ms bigint NOT NULL,
  gap_ms bigint NOT NULL,
  unknown_ms bigint NOT NULL,
  cameras int NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (node_id, day)
);
CREATE INDEX availability_node_daily_day ON availability_node_daily (day);

-- Which days are rolled up, in which time zone. Readers trust a day's rows only while its marker is here,
-- in their zone and not invalidated; invalidation keeps the marker (so the job finds the hole) and stamps it.
CREATE TABLE availability_rollup_days (
  day date PRIMARY KEY,
  time_zone text NOT NULL,
  cameras int NOT NULL,
  computed_at timestamptz NOT NULL,
  invalidated_at timestamptz
);
CREATE INDEX availability_rollup_days_stale ON availability_rollup_days (day) WHERE invalidated_at IS NOT NULL;

-- The intervals overlapping a span, whatever the camera: a day's rollup and the exact edges of a window read
-- those without walking each camera's history from its start. Closed bounds, so no row is an empty range.
CREATE INDEX state_intervals_span ON state_intervals USING gist (tstzrange(from_at, to_at, '[]'));
CREATE INDEX availability_exclusions_span ON availability_exclusions USING gist (tstzrange(from_at, to_at, '[]'))
  WHERE status = 'approved';
