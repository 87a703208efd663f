-- Discovery scans and what they found; the ONVIF inventory of each camera and its changes.

-- Town networks are routed: multicast does not cross them, so each town lists the ranges to scan.
ALTER TABLE districts ADD COLUMN network_cidrs cidr[] NOT NULL DEFAULT '{}';

-- What identifies a camera on the wire: its WS-Discovery endpoint reference and its serial number.
ALTER TABLE cameras ADD COLUMN endpoint_ref text UNIQUE;
ALTER TABLE cameras ADD COLUMN serial_number text;
CREATE INDEX cameras_ip ON cameras (ip);

CREATE TYPE scan_status AS ENUM ('queued', 'running', 'done', 'cancelled', 'failed');

CREATE TABLE discovery_scans (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('unicast', 'multicast')),
  -- unicast: cidrs, ports, concurrency; multicast: interface
  params jsonb NOT NULL,
  district_id uuid REFERENCES districts (id) ON DELETE SET NULL,
  status scan_status NOT NULL DEFAULT 'queued',
  cancel_requested boolean NOT NULL DEFAULT false,
  total int NOT NULL DEFAULT 0,
  probed int NOT NULL DEFAULT 0,
  found int NOT NULL DEFAULT 0,
  error text,
  requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX discovery_scans_created ON discovery_scans (created_at DESC);

CREATE TYPE discovery_match AS ENUM ('new', 'known', 'moved', 'serial_changed', 'missing');

CREATE TABLE discovered_devices (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  scan_id uuid NOT NULL REFERENCES discovery_scans (id) ON DELETE CASCADE,
  address inet NOT NULL,
  device_url text,
  endpoint_ref text,
  scopes text[] NOT NULL DEFAULT '{}',
  serial_number text,
  match discovery_match NOT NULL,
  camera_id uuid REFERENCES cameras (id) ON DELETE SET NULL,
  -- for 'moved': the address the registry had
  previous_address inet,
  adopted_at timestamptz,
  seen_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (scan_id, address)
);
CREATE INDEX discovered_devices_scan ON discovered_devices (scan_id);

-- The last ONVIF inventory read of each camera (one row per camera, replaced on every poll).
CREATE TABLE camera_inventory (
  camera_id uuid PRIMARY KEY REFERENCES cameras (id) ON DELETE CASCADE,
  polled_at timestamptz NOT NULL,
  ok boolean NOT NULL,
  error_kind text,
  error text,
  manufacturer text,
  model text,
  firmware_version text,
  serial_number text,
  hardware_id text,
  main_stream_uri text,
  sub_stream_uri text,
  snapshot_uri text,
  clock_offset_seconds double precision,
  osd_texts text[],
  -- per-part errors of a partly successful read, e.g. {"osd": "soap-fault: ..."}
  part_errors jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE inventory_changes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  camera_id uuid NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT now(),
  -- firmware_version, serial_number, main_stream_uri, sub_stream_uri, clock_offset, osd_label
  field text NOT NULL,
  old_value text,
  new_value text
);
CREATE INDEX inventory_changes_camera ON inventory_changes (camera_id, at DESC);
