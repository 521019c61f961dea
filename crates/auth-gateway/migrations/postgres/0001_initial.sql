-- Initial schema (PostgreSQL). The SQLite twin has the same version and name.
-- Every time is written by the application from its own clock, so no column defaults
-- to now(): tests move the clock and the database must agree with it.

-- One user's grant at one provider. `version` is bumped on every write so racing writers
-- can be fenced; the lease columns are for single-flight refresh across replicas.
CREATE TABLE credentials (
    user_email        TEXT        NOT NULL,
    provider          TEXT        NOT NULL,
    access_token_enc  TEXT        NOT NULL,
    access_key_id     TEXT        NOT NULL,
    refresh_token_enc TEXT        NULL,
    refresh_key_id    TEXT        NULL,
    expires_at        TIMESTAMPTZ NOT NULL,
    scopes            JSONB       NOT NULL,
    account_email     TEXT        NULL,
    account_subject   TEXT        NULL,
    status            TEXT        NOT NULL,
    version           BIGINT      NOT NULL,
    lease_owner       TEXT        NULL,
    lease_until       TIMESTAMPTZ NULL,
    authenticated_at  TIMESTAMPTZ NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    CONSTRAINT credentials_pkey PRIMARY KEY (user_email, provider),
    CONSTRAINT credentials_status_check CHECK (status IN ('active', 'needs_reauth')),
    CONSTRAINT credentials_version_check CHECK (version >= 1),
    CONSTRAINT credentials_scopes_check CHECK (jsonb_typeof(scopes) = 'array'),
    -- A ciphertext without the id of its key could never be decrypted.
    CONSTRAINT credentials_refresh_key_check
        CHECK ((refresh_token_enc IS NULL) = (refresh_key_id IS NULL))
);

-- Sign-in sessions. Only hashes of the connect token, state and browser cookie are kept,
-- so a database read does not hand out live sign-in links.
CREATE TABLE auth_sessions (
    id                UUID        NOT NULL,
    connect_hash      BYTEA       NOT NULL,
    state_hash        BYTEA       NULL,
    browser_hash      BYTEA       NULL,
    pkce_verifier_enc TEXT        NOT NULL,
    pkce_key_id       TEXT        NOT NULL,
    user_email        TEXT        NOT NULL,
    provider          TEXT        NOT NULL,
    scopes            JSONB       NOT NULL,
    client_name       TEXT        NOT NULL,
    status            TEXT        NOT NULL,
    error             TEXT        NULL,
    account_email     TEXT        NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    expires_at        TIMESTAMPTZ NOT NULL,
    completed_at      TIMESTAMPTZ NULL,
    CONSTRAINT auth_sessions_pkey PRIMARY KEY (id),
    CONSTRAINT auth_sessions_connect_hash_key UNIQUE (connect_hash),
    CONSTRAINT auth_sessions_state_hash_key UNIQUE (state_hash),
    CONSTRAINT auth_sessions_status_check
        CHECK (status IN ('pending', 'exchanging', 'completed', 'failed')),
    CONSTRAINT auth_sessions_scopes_check CHECK (jsonb_typeof(scopes) = 'array')
);

-- The sweeper deletes by expiry.
CREATE INDEX auth_sessions_expires_at_idx ON auth_sessions (expires_at);

-- Per-MCP-server API keys: only the SHA-256 of a key is stored. The previous digest stays
-- valid until `previous_key_valid_until` so a key can be rotated without downtime.
CREATE TABLE clients (
    id                       UUID        NOT NULL,
    name                     TEXT        NOT NULL,
    key_digest               BYTEA       NOT NULL,
    allowed_providers        JSONB       NOT NULL,
    allowed_scopes           JSONB       NULL,
    created_at               TIMESTAMPTZ NOT NULL,
    revoked_at               TIMESTAMPTZ NULL,
    previous_key_digest      BYTEA       NULL,
    previous_key_valid_until TIMESTAMPTZ NULL,
    CONSTRAINT clients_pkey PRIMARY KEY (id),
    CONSTRAINT clients_name_key UNIQUE (name),
    CONSTRAINT clients_key_digest_key UNIQUE (key_digest),
    CONSTRAINT clients_key_digest_check CHECK (octet_length(key_digest) = 32),
    CONSTRAINT clients_previous_key_digest_check
        CHECK (previous_key_digest IS NULL OR octet_length(previous_key_digest) = 32),
    CONSTRAINT clients_allowed_providers_check CHECK (jsonb_typeof(allowed_providers) = 'array')
);

-- Who did what for whom, and how it went. Never a token.
CREATE TABLE audit_events (
    id          BIGSERIAL   NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    client_name TEXT        NULL,
    user_email  TEXT        NULL,
    provider    TEXT        NULL,
    event       TEXT        NOT NULL,
    outcome     TEXT        NOT NULL,
    detail      TEXT        NULL,
    CONSTRAINT audit_events_pkey PRIMARY KEY (id)
);

CREATE INDEX audit_events_user_email_occurred_at_idx ON audit_events (user_email, occurred_at);
