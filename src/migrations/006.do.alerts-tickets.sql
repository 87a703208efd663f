-- Alerts for the duty desks, their console feed, outbound notifications, and fault tickets for contractors.

-- The alert rules as the county set them; a cause without a row keeps the default of src/alerting/rules.ts.
CREATE TABLE alert_rules (
  cause text PRIMARY KEY
    CHECK (cause IN ('offline', 'picture', 'auth_failure', 'session_limit', 'clock_drift', 'osd_mismatch')),
  enabled boolean NOT NULL,
  severity text NOT NULL CHECK (severity IN ('critical', 'major', 'minor')),
  updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per alert. A camera alert names its camera and cause; a group alert ("site/uplink down") names the node
-- of the tree that went dark, and the camera alerts folded into it point at it with group_id.
CREATE TABLE alerts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('camera', 'group')),
  camera_id uuid REFERENCES cameras (id) ON DELETE CASCADE,
  -- the camera's site, or the grouped node
  place_id uuid NOT NULL REFERENCES districts (id) ON DELETE CASCADE,
  cause text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('critical', 'major', 'minor')),
  detail text,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
  group_id bigint REFERENCES alerts (id) ON DELETE SET NULL,
  camera_count int,
  opened_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by uuid REFERENCES users (id) ON DELETE SET NULL,
  resolved_at timestamptz,
  CHECK ((kind = 'camera') = (camera_id IS NOT NULL)),
  CHECK (kind = 'camera' OR group_id IS NULL)
);
-- dedupe: one unresolved alert per camera and cause, one unresolved group per node
CREATE UNIQUE INDEX alerts_one_open_per_cause ON alerts (camera_id, cause) WHERE status <> 'resolved' AND kind = 'camera';
CREATE UNIQUE INDEX alerts_one_open_group ON alerts (place_id) WHERE status <> 'resolved' AND kind = 'group';
CREATE INDEX alerts_open_by_place ON alerts (place_id) WHERE status <> 'resolved';
CREATE INDEX alerts_group ON alerts (group_id) WHERE group_id IS NOT NULL;
CREATE INDEX alerts_opened ON alerts (opened_at);

-- The console feed and the audit of every alert's life: opened, grouped, superseded, acknowledged, resolved,
-- escalated. Written only under one advisory lock, so ids commit in order and a client that resumes from the
-- last id it saw misses nothing. `ancestors` is the path of the alert's place when written (scope filtering).
CREATE TABLE alert_feed (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alert_id bigint REFERENCES alerts (id) ON DELETE CASCADE,
  ticket_id bigint,
  kind text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  actor uuid REFERENCES users (id) ON DELETE SET NULL,
  ancestors uuid[] NOT NULL,
  severity text NOT NULL,
  payload jsonb NOT NULL
);
CREATE INDEX alert_feed_alert ON alert_feed (alert_id);

-- How far each consuming stage has read its input (health events; the feed, for notifications).
CREATE TABLE stage_cursors (
  stage text PRIMARY KEY,
  last_id bigint NOT NULL
);

-- Where notifications go. A route for a node of the tree takes the alerts under it (no node and no contractor:
-- the whole county, i.e. the bureau); a route for a contractor takes its tickets. The target (URL and signing
-- secret) is sealed like a camera credential: a robot URL carries its key.
CREATE TABLE notification_routes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  channel text NOT NULL CHECK (channel IN ('webhook', 'dingtalk', 'wecom')),
  district_id uuid REFERENCES districts (id) ON DELETE CASCADE,
  contractor_id uuid REFERENCES contractors (id) ON DELETE CASCADE,
  min_severity text NOT NULL DEFAULT 'minor' CHECK (min_severity IN ('critical', 'major', 'minor')),
  enabled boolean NOT NULL DEFAULT true,
  target_key_id text NOT NULL,
  target_cipher bytea NOT NULL,
  -- host of the URL only, for display
  target_host text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (district_id IS NULL OR contractor_id IS NULL)
);

-- Notifications that kept failing past their age limit. Admins see them and replay them.
CREATE TABLE notification_dead_letters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  route_id uuid NOT NULL REFERENCES notification_routes (id) ON DELETE CASCADE,
  feed_id bigint NOT NULL REFERENCES alert_feed (id) ON DELETE CASCADE,
  attempts int NOT NULL,
  last_error text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now(),
  replayed_at timestamptz,
  replayed_by uuid REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX notification_dead_letters_pending ON notification_dead_letters (failed_at) WHERE replayed_at IS NULL;

-- A camera fault for the contractor whose contract covers the camera. One ticket per camera at a time; a fault
-- that returns soon after closing reopens the same ticket.
CREATE TABLE tickets (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  camera_id uuid NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
  contractor_id uuid NOT NULL REFERENCES contractors (id) ON DELETE RESTRICT,
  contract_id uuid NOT NULL REFERENCES contracts (id) ON DELETE RESTRICT,
  alert_id bigint REFERENCES alerts (id) ON DELETE SET NULL,
  cause text NOT NULL,
  priority text NOT NULL CHECK (priority IN ('P1', 'P2', 'P3')),
  status text NOT NULL CHECK (status IN ('open', 'acknowledged', 'verifying', 'closed')),
  fault_since timestamptz NOT NULL,
  opened_at timestamptz NOT NULL,
  sla_due_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by uuid REFERENCES users (id) ON DELETE SET NULL,
  repaired_at timestamptz,
  repaired_by uuid REFERENCES users (id) ON DELETE SET NULL,
  closed_at timestamptz,
  close_reason text CHECK (close_reason IN ('verified', 'recovered')),
  reopened_count int NOT NULL DEFAULT 0,
  escalated_at timestamptz,
  dispute_exclusion_id uuid REFERENCES availability_exclusions (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX tickets_one_active_per_camera ON tickets (camera_id) WHERE status <> 'closed';
CREATE INDEX tickets_contractor ON tickets (contractor_id, opened_at);
CREATE INDEX tickets_active_due ON tickets (sla_due_at) WHERE status <> 'closed';

-- Everything that happened to a ticket, by whom: the audit its SLA report is built from.
CREATE TABLE ticket_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ticket_id bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT now(),
  actor uuid REFERENCES users (id) ON DELETE SET NULL,
  kind text NOT NULL,
  note text
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

-- Pictures of the camera kept with the ticket: the last good one and the faulty one at opening, the one after
-- repair at closing.
CREATE TABLE ticket_snapshots (
  ticket_id bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('last_good', 'at_fault', 'after_repair')),
  taken_at timestamptz NOT NULL,
  jpeg bytea NOT NULL,
  PRIMARY KEY (ticket_id, role)
);

-- Photos a contractor uploads as proof of repair.
CREATE TABLE ticket_photos (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  ticket_id bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
  content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
  size_bytes int NOT NULL,
  body bytea NOT NULL,
  uploaded_by uuid REFERENCES users (id) ON DELETE SET NULL,
  uploaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_photos_ticket ON ticket_photos (ticket_id);

ALTER TABLE alert_feed ADD CONSTRAINT alert_feed_ticket FOREIGN KEY (ticket_id) REFERENCES tickets (id) ON DELETE CASCADE;
CREATE INDEX alert_feed_ticket ON alert_feed (ticket_id) WHERE ticket_id IS NOT NULL;
