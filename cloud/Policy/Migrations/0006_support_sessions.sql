-- Support sessions: named, created before their device connection, with a status that moves forward only
-- (waiting -> in-session -> ended, or waiting -> expired). Rows from before this script have no status: history derives
-- it from ended_at.
ALTER TABLE sessions ADD COLUMN name TEXT;
ALTER TABLE sessions ADD COLUMN status TEXT CHECK (status IS NULL OR status IN ('waiting', 'in-session', 'ended', 'expired'));
ALTER TABLE sessions ADD COLUMN owner_id TEXT;
ALTER TABLE sessions ADD COLUMN in_session_at TEXT;
ALTER TABLE sessions ADD COLUMN connected_at TEXT;
ALTER TABLE sessions ADD COLUMN expires_at TEXT;
CREATE INDEX sessions_status ON sessions (status);

-- Endpoints a user marked for quick start.
CREATE TABLE favourite_endpoints (
    user_id TEXT NOT NULL,
    appliance_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, appliance_id, endpoint_id));
