-- E-mail invitations (issue 11): the address an invite link was sent to, and who first joined with it.
-- An invite's status is computed, never stored: revoked > accepted > expired > pending.
ALTER TABLE invites ADD COLUMN email TEXT;
ALTER TABLE invites ADD COLUMN accepted_at TEXT;
ALTER TABLE invites ADD COLUMN accepted_by TEXT;
-- "Pending invitations" on the dashboard: one user's invites, newest first.
CREATE INDEX invites_created_by ON invites (created_by, created_at);
