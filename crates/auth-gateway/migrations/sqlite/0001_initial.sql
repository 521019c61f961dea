-- Initial schema (SQLite). The PostgreSQL twin has the same version and name.
-- Times are INTEGER Unix epoch microseconds: they compare correctly as numbers, which
-- RFC 3339 text with a variable number of fraction digits does not. Every time is
-- written by the application from its own clock, so no column defaults to the current
-- time. Tables are STRICT so a value of the wrong type is refused, not silently kept.
-- JSON columns hold TEXT that must be a JSON array.

-- One user's grant at one provider. `version` is bumped on every write so racing writers
-- can be fenced; the lease columns are for single-flight refresh.
CREATE TABLE credentials (
    user_email        TEXT    NOT NULL,
    provider          TEXT    NOT NULL,
    access_token_enc  TEXT    NOT NULL,
    access_key_id     TEXT    NOT NULL,
    refresh_token_enc TEXT    NULL,
    refresh_key_id    TEXT    NULL,
    expires_at        INTEGER NOT NULL,
    scopes            TEXT    NOT NULL,
    account_email     TEXT    NULL,
    account_subject   TEXT    NULL,
    status            TEXT    NOT NULL,
    version           INTEGER NOT NULL,
    lease_owner       TEXT    NULL,
    lease_until       INTEGER NULL,
    authenticated_at  INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    CONSTRAINT credentials_pkey PRIMARY KEY (user_email, provider),
    CONSTRAINT credentials_status_check CHECK (status IN ('active', 'needs_reauth')),
    CONSTRAINT credentials_version_check CHECK (version >= 1),
    CONSTRAINT credentials_scopes_check
        CHECK (json_valid(scopes) AND json_type(scopes) = 'array'),
    -- A ciphertext without the id of its key could never be decrypted.
    CONSTRAINT credentials_refresh_key_check
        CHECK ((refresh_token_enc IS NULL) = (refresh_key_id IS NULL))
) STRICT;

-- Sign-in sessions. Only hashes of the connect token, state and browser cookie are kept,
-- so a database read does not hand out live sign-in links. `id` is the UUID's 16 bytes.
CREATE TABLE auth_sessions (
    id                BLOB    NOT NULL,
    connect_hash      BLOB    NOT NULL,
    state_hash        BLOB    NULL,
    browser_hash      BLOB    NULL,
    pkce_verifier_enc TEXT    NOT NULL,
    pkce_key_id       TEXT    NOT NULL,
    user_email        TEXT    NOT NULL,
    provider          TEXT    NOT NULL,
    scopes            TEXT    NOT NULL,
    client_name       TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    error             TEXT    NULL,
    account_email     TEXT    NULL,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    completed_at      INTEGER NULL,
    CONSTRAINT auth_sessions_pkey PRIMARY KEY (id),
    CONSTRAINT auth_sessions_id_check CHECK (length(id) = 16),
    CONSTRAINT auth_sessions_connect_hash_key UNIQUE (connect_hash),
    CONSTRAINT auth_sessions_state_hash_key UNIQUE (state_hash),
    CONSTRAINT auth_sessions_status_check
        CHECK (status IN ('pending', 'exchanging', 'completed', 'failed')),
    CONSTRAINT auth_sessions_scopes_check
        CHECK (json_valid(scopes) AND json_type(scopes) = 'array')
) STRICT;

-- The sweeper deletes by expiry.
CREATE INDEX auth_sessions_expires_at_idx ON auth_sessions (expires_at);

-- Per-MCP-server API keys: only the SHA-256 of a key is stored. The previous digest stays
-- valid until `previous_key_valid_until` so a key can be rotated without downtime.
CREATE TABLE clients (
    id                       BLOB    NOT NULL,
    name                     TEXT    NOT NULL,
    key_digest               BLOB    NOT NULL,
    allowed_providers        TEXT    NOT NULL,
    allowed_scopes           TEXT    NULL,
    created_at               INTEGER NOT NULL,
    revoked_at               INTEGER NULL,
    previous_key_digest      BLOB    NULL,
    previous_key_valid_until INTEGER NULL,
    CONSTRAINT clients_pkey PRIMARY KEY (id),
    CONSTRAINT clients_id_check CHECK (length(id) = 16),
    CONSTRAINT clients_name_key UNIQUE (name),
    CONSTRAINT clients_key_digest_key UNIQUE (key_digest),
    CONSTRAINT clients_key_digest_check CHECK (length(key_digest) = 32),
    CONSTRAINT clients_previous_key_digest_check
        CHECK (previous_key_digest IS NULL OR length(previous_key_digest) = 32),
    CONSTRAINT clients_allowed_providers_check
        CHECK (json_valid(allowed_providers) AND json_type(allowed_providers) = 'array')
) STRICT;

-- Who did what for whom, and how it went. Never a token. AUTOINCREMENT so an id is never
-- reused after the newest rows are deleted.
CREATE TABLE audit_events (
    id          INTEGER NOT NULL CONSTRAINT audit_events_pkey PRIMARY KEY AUTOINCREMENT,
    occurred_at INTEGER NOT NULL,
    client_name TEXT    NULL,
    user_email  TEXT    NULL,
    provider    TEXT    NULL,
    event       TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    detail      TEXT    NULL
) STRICT;

CREATE INDEX audit_events_user_email_occurred_at_idx ON audit_events (user_email, occurred_at);
