-- A session's conversation: chat between everyone admitted to it, and the notes its Controller and co-controllers
-- write (what was found, what was done). Kept with the session for its history; never device input.
CREATE TABLE session_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    kind TEXT NOT NULL CHECK (kind IN ('chat', 'note')),
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    at TEXT NOT NULL,
    text TEXT NOT NULL);
CREATE INDEX session_messages_session ON session_messages (session_id, kind, id);

-- One session's audit events, for its history page (the log is otherwise read by sequence number or time).
CREATE INDEX audit_events_session ON audit_events (session_id, seq);
