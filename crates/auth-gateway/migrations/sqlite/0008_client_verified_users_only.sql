-- A client may be restricted to verified users: it obtains a user's upstream token only by
-- token exchange (RFC 8693) with the user's gateway access token, never by asserting an
-- email at /auth/token or /auth/init. Existing clients keep asserting.
-- The table is STRICT, so the flag is an INTEGER 0/1 (sqlx reads it as a bool).
ALTER TABLE clients ADD COLUMN verified_users_only INTEGER NOT NULL DEFAULT 0
    CHECK (verified_users_only IN (0, 1));
