-- Pairing (RFC 8628 device authorization ending in an X.509 client certificate). Requests live here, not in memory,
-- so a pairing started on one cloud node completes on any other. Only the SHA-256 of the device code is kept.
CREATE TABLE pairing_requests (
    id TEXT PRIMARY KEY,
    device_code_hash TEXT NOT NULL UNIQUE,
    user_code TEXT NOT NULL UNIQUE,
    csr_pem TEXT NOT NULL,
    key_sha256 TEXT NOT NULL,
    key_type TEXT NOT NULL,
    hardware TEXT NOT NULL,
    software_version TEXT NOT NULL,
    source TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    interval_seconds INTEGER NOT NULL,
    last_poll_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'issued', 'completed')),
    appliance_id TEXT,
    decided_by TEXT,
    decided_at TEXT,
    certificate_pem TEXT);
CREATE INDEX pairing_requests_expiry ON pairing_requests (expires_at);

-- Every appliance certificate the CA issued: the broker refuses a revoked one, and a superseded one once its
-- successor has connected.
CREATE TABLE appliance_certificates (
    serial TEXT PRIMARY KEY,
    appliance_id TEXT NOT NULL,
    key_sha256 TEXT NOT NULL,
    not_before TEXT NOT NULL,
    not_after TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    first_used_at TEXT,
    superseded_at TEXT,
    revoked_at TEXT,
    revoked_by TEXT);
CREATE INDEX appliance_certificates_appliance ON appliance_certificates (appliance_id, issued_at);

ALTER TABLE appliances ADD COLUMN site TEXT NOT NULL DEFAULT '';
ALTER TABLE appliances ADD COLUMN hardware TEXT NOT NULL DEFAULT '';
ALTER TABLE appliances ADD COLUMN paired_at TEXT;
ALTER TABLE appliances ADD COLUMN revoked_at TEXT;
