-- A client's scope allow-list may leave out the providers' default scopes (an operator
-- narrowing a client below what every sign-in asks for). Existing clients keep them.
ALTER TABLE clients ADD COLUMN scopes_exclude_defaults BOOLEAN NOT NULL DEFAULT FALSE;
