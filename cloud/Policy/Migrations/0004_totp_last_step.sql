-- RFC 6238 §5.2: a code is accepted once. The time step (Unix seconds / 30) of the last code a user signed in with;
-- a code of that step or an earlier one is refused.
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
