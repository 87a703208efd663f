-- The governance data: the district tree, police offices, 1+X+N staff, contractors and their contracts,
-- cameras, incidents, users, sessions and the audit log.

CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;

-- county → town/township → police district → village/community → site
CREATE TYPE district_kind AS ENUM ('county', 'town', 'township', 'police_district', 'village', 'community', 'site');

CREATE TABLE districts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind district_kind NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  code text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-Za-z-]{1,32}$'),
  parent_id uuid REFERENCES districts (id) ON DELETE RESTRICT,
  -- every node from the root down to this one, itself included: subtree tests are `ancestors @> ARRAY[x]`
  ancestors uuid[] NOT NULL,
  lat double precision CHECK (lat BETWEEN -90 AND 90),
  lon double precision CHECK (lon BETWEEN -180 AND 180),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'county') = (parent_id IS NULL)),
  UNIQUE (parent_id, name)
);
CREATE INDEX districts_ancestors ON districts USING gin (ancestors);
CREATE INDEX districts_parent ON districts (parent_id);
CREATE TRIGGER districts_updated BEFORE UPDATE ON districts FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE FUNCTION districts_set_ancestors() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  parent_path uuid[];
BEGIN
  IF NEW.parent_id IS NULL THEN
    NEW.ancestors := ARRAY[NEW.id];
  ELSE
    SELECT ancestors INTO parent_path FROM districts WHERE id = NEW.parent_id;
    IF parent_path IS NULL THEN
      RAISE EXCEPTION 'districts: parent % does not exist', NEW.parent_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF NEW.id = ANY (parent_path) THEN
      RAISE EXCEPTION 'districts: moving % under its own subtree', NEW.id USING ERRCODE = 'check_violation',
        CONSTRAINT = 'districts_no_cycle';
    END IF;
    NEW.ancestors := parent_path || NEW.id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER districts_ancestors_set BEFORE INSERT OR UPDATE OF parent_id ON districts
  FOR EACH ROW EXECUTE FUNCTION districts_set_ancestors();

-- A moved node takes its subtree with it.
CREATE FUNCTION districts_move_subtree() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.ancestors IS DISTINCT FROM OLD.ancestors THEN
    UPDATE districts
       SET ancestors = NEW.ancestors || ancestors[array_position(ancestors, NEW.id) + 1:]
     WHERE ancestors @> ARRAY[NEW.id] AND id <> NEW.id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER districts_subtree_moved AFTER UPDATE OF parent_id ON districts
  FOR EACH ROW EXECUTE FUNCTION districts_move_subtree();

CREATE TABLE police_offices (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  district_id uuid NOT NULL UNIQUE REFERENCES districts (id) ON DELETE RESTRICT,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  address text,
  phone text,
  established_year int CHECK (established_year BETWEEN 1949 AND 2100),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER police_offices_updated BEFORE UPDATE ON police_offices FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- "1 + X + N": 1 community officer, X auxiliaries, N social forces.
CREATE TYPE staff_role AS ENUM (
  'community_officer', 'auxiliary_police', 'police_assistant', 'grid_worker', 'anti_drug_worker',
  'governance_worker', 'petition_worker', 'judicial_mediator', 'sanitation_worker', 'public_welfare_worker'
);

CREATE TABLE staff (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  role staff_role NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
  phone text,
  birth_date date,
  district_id uuid NOT NULL REFERENCES districts (id) ON DELETE RESTRICT,
  supervisor_id uuid REFERENCES staff (id) ON DELETE SET NULL,
  active boolean NOT NULL DEFAULT true,
  appointed_on date,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_district ON staff (district_id);
CREATE INDEX staff_supervisor ON staff (supervisor_id);
-- "每个警务区至少配备1名专职社区民警": at most one active officer here; a missing one is a reported gap.
CREATE UNIQUE INDEX staff_one_officer_per_district ON staff (district_id)
  WHERE role = 'community_officer' AND active;
CREATE TRIGGER staff_updated BEFORE UPDATE ON staff FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE contractors (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
  contact_name text,
  phone text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER contractors_updated BEFORE UPDATE ON contractors FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE contracts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  contractor_id uuid NOT NULL REFERENCES contractors (id) ON DELETE RESTRICT,
  reference text NOT NULL UNIQUE CHECK (length(reference) BETWEEN 1 AND 64),
  valid_from date NOT NULL,
  valid_to date NOT NULL,
  fault_threshold_minutes int NOT NULL DEFAULT 30 CHECK (fault_threshold_minutes BETWEEN 1 AND 10080),
  sla_hours_town_seat int NOT NULL DEFAULT 24 CHECK (sla_hours_town_seat BETWEEN 1 AND 720),
  sla_hours_village int NOT NULL DEFAULT 48 CHECK (sla_hours_village BETWEEN 1 AND 720),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT contracts_period CHECK (valid_to >= valid_from)
);
CREATE INDEX contracts_contractor ON contracts (contractor_id);
CREATE TRIGGER contracts_updated BEFORE UPDATE ON contracts FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- The nodes of the tree a contract maintains (a town, a police district, a village or a single site).
CREATE TABLE contract_areas (
  contract_id uuid NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
  district_id uuid NOT NULL REFERENCES districts (id) ON DELETE RESTRICT,
  PRIMARY KEY (contract_id, district_id)
);
CREATE INDEX contract_areas_district ON contract_areas (district_id);

CREATE TYPE place_class AS ENUM ('town_seat', 'village');

CREATE TABLE cameras (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  site_id uuid NOT NULL REFERENCES districts (id) ON DELETE RESTRICT,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  gb_code char(20) NOT NULL UNIQUE CHECK (gb_code ~ '^[0-9]{20}$'),
  vendor text NOT NULL DEFAULT 'generic-onvif',
  model text,
  ip inet,
  onvif_url text,
  rtsp_main_url text,
  rtsp_sub_url text,
  lat double precision CHECK (lat BETWEEN -90 AND 90),
  lon double precision CHECK (lon BETWEEN -180 AND 180),
  place_class place_class NOT NULL DEFAULT 'village',
  session_limit int NOT NULL DEFAULT 4 CHECK (session_limit BETWEEN 1 AND 64),
  -- AES-256-GCM of {"username","password"}; key_id names the key of the ring that sealed it.
  credential_key_id text,
  credential_cipher bytea,
  commissioned_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((credential_key_id IS NULL) = (credential_cipher IS NULL)),
  CHECK (retired_at IS NULL OR retired_at >= commissioned_at)
);
CREATE INDEX cameras_site ON cameras (site_id);
CREATE INDEX cameras_credential_key ON cameras (credential_key_id);
CREATE TRIGGER cameras_updated BEFORE UPDATE ON cameras FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TYPE user_role AS ENUM ('duty', 'contractor', 'bureau', 'admin');

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._-]{3,64}$'),
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
  role user_role NOT NULL,
  scope_district_id uuid REFERENCES districts (id) ON DELETE RESTRICT,
  contractor_id uuid REFERENCES contractors (id) ON DELETE RESTRICT,
  password_hash text NOT NULL,
  disabled boolean NOT NULL DEFAULT false,
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_duty_scope CHECK ((role = 'duty') = (scope_district_id IS NOT NULL)),
  CONSTRAINT users_contractor_link CHECK ((role = 'contractor') = (contractor_id IS NOT NULL))
);
CREATE TRIGGER users_updated BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TYPE incident_type AS ENUM (
  'stability_safety', 'key_industry_staff', 'criminal_case', 'public_order', 'traffic', 'fire', 'dispute', 'other'
);
CREATE TYPE incident_status AS ENUM ('open', 'reported', 'closed');

CREATE TABLE incidents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  type incident_type NOT NULL,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  description text,
  occurred_at timestamptz NOT NULL,
  district_id uuid NOT NULL REFERENCES districts (id) ON DELETE RESTRICT,
  reported_by_staff_id uuid REFERENCES staff (id) ON DELETE SET NULL,
  status incident_status NOT NULL DEFAULT 'open',
  -- when the report upward is due: 1 h for stability/safety, 24 h for key-industry staff; NULL = no deadline
  report_due_at timestamptz,
  reported_at timestamptz,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_district ON incidents (district_id);
CREATE INDEX incidents_due ON incidents (report_due_at) WHERE reported_at IS NULL;
CREATE TRIGGER incidents_updated BEFORE UPDATE ON incidents FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE incident_cameras (
  incident_id uuid NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  camera_id uuid NOT NULL REFERENCES cameras (id) ON DELETE RESTRICT,
  PRIMARY KEY (incident_id, camera_id)
);
CREATE INDEX incident_cameras_camera ON incident_cameras (camera_id);

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  username text,
  action text NOT NULL,
  object_type text NOT NULL,
  object_id text,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
CREATE INDEX audit_log_user ON audit_log (user_id, at DESC);
