-- Joint sessions under policy: domains, users' state, groups, access grants, per-endpoint policy, requests for
-- access, invites, participants' history and the hash-chained audit log.
CREATE TABLE domains (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    admin_totp_required INTEGER NOT NULL DEFAULT 0,
    invite_minutes INTEGER NOT NULL DEFAULT 15,
    created_at TEXT NOT NULL);
INSERT INTO domains (id, name, created_at) VALUES ('default', 'Default', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

ALTER TABLE users ADD COLUMN domain_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
-- RFC 6238 shared secret (Base32) once the user enrolled a TOTP authenticator; null before.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE appliances ADD COLUMN domain_id TEXT NOT NULL DEFAULT 'default';

CREATE TABLE user_groups (
    id TEXT PRIMARY KEY,
    domain_id TEXT NOT NULL REFERENCES domains(id),
    name TEXT NOT NULL,
    UNIQUE (domain_id, name));
CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id));

-- Who may use which endpoint: a user or a group, an appliance, one endpoint or '*' for all of the appliance's.
CREATE TABLE access_grants (
    id TEXT PRIMARY KEY,
    subject_type TEXT NOT NULL CHECK (subject_type IN ('user', 'group')),
    subject_id TEXT NOT NULL,
    appliance_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL DEFAULT '*',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (subject_type, subject_id, appliance_id, endpoint_id));
CREATE INDEX access_grants_target ON access_grants (appliance_id, endpoint_id);

-- Per-endpoint session policy; an endpoint without a row has the defaults.
CREATE TABLE endpoint_policies (
    appliance_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    joint_session INTEGER NOT NULL DEFAULT 1,
    max_participants INTEGER NOT NULL DEFAULT 10,
    rfa_required INTEGER NOT NULL DEFAULT 0,
    max_session_minutes INTEGER,
    shared_control INTEGER NOT NULL DEFAULT 0,
    supervision_required INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (appliance_id, endpoint_id));

-- Requests for access: a user asks to use an endpoint for a time window; an approver decides.
CREATE TABLE access_requests (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    appliance_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
    requested_at TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    decision_reason TEXT);
CREATE INDEX access_requests_user ON access_requests (user_id, appliance_id, endpoint_id);

-- Invite links: only the SHA-256 of the key is kept.
CREATE TABLE invites (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    key_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT);

-- Who took part in a session, how they came in and for how long.
CREATE TABLE session_participants (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    joined_via TEXT NOT NULL,
    joined_at TEXT NOT NULL,
    left_at TEXT);
CREATE INDEX session_participants_session ON session_participants (session_id);
CREATE INDEX session_participants_user ON session_participants (user_id);
ALTER TABLE sessions ADD COLUMN access_request_id TEXT;
ALTER TABLE sessions ADD COLUMN ended_by TEXT;

-- The audit log: append-only, each event carries the SHA-256 of the previous one (hex), chained from seq 1.
CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id TEXT,
    actor_name TEXT,
    actor_role TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    appliance_id TEXT,
    endpoint_id TEXT,
    session_id TEXT,
    source TEXT,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
