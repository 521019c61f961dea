-- A client's scope allow-list may leave out the providers' default scopes (an operator
-- narrowing a client below what every sign-in asks for). Existing clients keep them.
-- The table is STRICT, so the flag is an INTEGER 0/1 (sqlx reads it as a bool).
ALTER TABLE clients ADD COLUMN scopes_exclude_defaults INTEGER NOT NULL DEFAULT 0
    CHECK (scopes_exclude_defaults IN (0, 1));
