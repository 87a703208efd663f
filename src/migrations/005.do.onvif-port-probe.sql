-- The network layer reaches the ONVIF port too (on the stream layer's cadence): its outcome and connect time,
-- {"outcome": "ok" | "refused" | "timeout" | "unreachable", "ms": 1.2}; null when not checked that time.
ALTER TABLE probe_results ADD COLUMN onvif_port jsonb;
