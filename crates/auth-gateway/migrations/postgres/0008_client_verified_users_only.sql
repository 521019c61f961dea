-- A client may be restricted to verified users: it obtains a user's upstream token only by
-- token exchange (RFC 8693) with the user's gateway access token, never by asserting an
-- email at /auth/token or /auth/init. Existing clients keep asserting.
ALTER TABLE clients ADD COLUMN verified_users_only BOOLEAN NOT NULL DEFAULT FALSE;
