-- Trust on first use for devices that present a TLS certificate the cloud pins (RDP): the certificate each endpoint
-- showed first (SHA-256 of its DER, upper-case hex), and the different one it showed last (refused, waiting for an
-- administrator to accept it). Credentials are never sent to a device whose certificate differs from the pin.
CREATE TABLE endpoint_certificates (
    appliance_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    pinned_at TEXT NOT NULL,
    pinned_by TEXT NOT NULL,
    presented_fingerprint TEXT,
    presented_at TEXT,
    PRIMARY KEY (appliance_id, endpoint_id));
