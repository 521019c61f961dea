-- The gateway as an OAuth authorization server for MCP clients: the clients, the
-- sign-ins at the gateway and the browser sessions they open, and what users authorized
-- (consents, grants, codes, refresh tokens). Secrets are kept only as SHA-256 digests
-- (32 bytes) or sealed by the key ring, so a database read hands out nothing usable.
-- No time defaults: every time comes from the application's clock.

-- MCP clients, by `client_id`. A metadata-document client's row is a cache of the
-- document. A confidential client has a secret digest, a public one (`none`) has not.
CREATE TABLE oauth_clients (
    client_id                  TEXT        NOT NULL,
    kind                       TEXT        NOT NULL,
    client_name                TEXT        NULL,
    redirect_uris              JSONB       NOT NULL,
    token_endpoint_auth_method TEXT        NOT NULL,
    secret_digest              BYTEA       NULL,
    created_at                 TIMESTAMPTZ NOT NULL,
    last_used_at               TIMESTAMPTZ NULL,
    refresh_after              TIMESTAMPTZ NULL,
    CONSTRAINT oauth_clients_pkey PRIMARY KEY (client_id),
    CONSTRAINT oauth_clients_kind_check
        CHECK (kind IN ('dynamic', 'metadata_document', 'preregistered')),
    CONSTRAINT oauth_clients_auth_method_check
        CHECK (token_endpoint_auth_method IN ('none', 'client_secret_basic', 'client_secret_post')),
    CONSTRAINT oauth_clients_secret_digest_check
        CHECK (secret_digest IS NULL OR octet_length(secret_digest) = 32),
    -- A confidential client without a secret could never authenticate; a public one
    -- with a secret would have one nobody checks.
    CONSTRAINT oauth_clients_secret_matches_method_check
        CHECK ((token_endpoint_auth_method = 'none') = (secret_digest IS NULL)),
    CONSTRAINT oauth_clients_redirect_uris_check CHECK (jsonb_typeof(redirect_uris) = 'array')
);

-- The sweep of unused dynamic registrations.
CREATE INDEX oauth_clients_kind_created_at_idx ON oauth_clients (kind, created_at);

-- Sign-ins at the gateway in progress (the browser's trip to the login provider). Only
-- hashes of `state` and the browser cookie are kept; the PKCE verifier is sealed.
-- `used_at` is set once, by the one callback that claims the login.
CREATE TABLE oauth_logins (
    id                UUID        NOT NULL,
    state_hash        BYTEA       NOT NULL,
    browser_hash      BYTEA       NOT NULL,
    pkce_verifier_enc TEXT        NOT NULL,
    pkce_key_id       TEXT        NOT NULL,
    provider          TEXT        NOT NULL,
    scopes            JSONB       NOT NULL,
    return_to         TEXT        NOT NULL,
    expected_subject  TEXT        NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    expires_at        TIMESTAMPTZ NOT NULL,
    used_at           TIMESTAMPTZ NULL,
    CONSTRAINT oauth_logins_pkey PRIMARY KEY (id),
    CONSTRAINT oauth_logins_state_hash_key UNIQUE (state_hash),
    CONSTRAINT oauth_logins_state_hash_check CHECK (octet_length(state_hash) = 32),
    CONSTRAINT oauth_logins_browser_hash_check CHECK (octet_length(browser_hash) = 32),
    CONSTRAINT oauth_logins_scopes_check CHECK (jsonb_typeof(scopes) = 'array')
);

CREATE INDEX oauth_logins_expires_at_idx ON oauth_logins (expires_at);

-- Signed-in browsers at the gateway, by the SHA-256 of their cookie. The idle expiry
-- moves forward on use but never past the absolute one, so the sweep needs only it.
CREATE TABLE browser_sessions (
    id_hash             BYTEA       NOT NULL,
    user_subject        TEXT        NOT NULL,
    user_email          TEXT        NOT NULL,
    provider            TEXT        NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    idle_expires_at     TIMESTAMPTZ NOT NULL,
    absolute_expires_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT browser_sessions_pkey PRIMARY KEY (id_hash),
    CONSTRAINT browser_sessions_id_hash_check CHECK (octet_length(id_hash) = 32),
    CONSTRAINT browser_sessions_idle_check CHECK (idle_expires_at <= absolute_expires_at)
);

CREATE INDEX browser_sessions_idle_expires_at_idx ON browser_sessions (idle_expires_at);

-- A user's remembered "Allow" for one client at one resource. The key's prefixes serve
-- the listing of a user's consents and the revocation of one client's.
CREATE TABLE oauth_consents (
    user_subject TEXT        NOT NULL,
    client_id    TEXT        NOT NULL,
    resource     TEXT        NOT NULL,
    scope        TEXT        NOT NULL,
    granted_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT oauth_consents_pkey PRIMARY KEY (user_subject, client_id, resource)
);

-- What a user authorized a client to do at a resource: the family of every code and
-- refresh token issued from it. Revoking it (revoked_at) ends them all.
CREATE TABLE oauth_grants (
    id           UUID        NOT NULL,
    client_id    TEXT        NOT NULL,
    user_subject TEXT        NOT NULL,
    user_email   TEXT        NOT NULL,
    resource     TEXT        NOT NULL,
    scope        TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ NULL,
    CONSTRAINT oauth_grants_pkey PRIMARY KEY (id)
);

-- A user's grants (listing, and revoking one client's); a client's live grants (the
-- sweep of unused clients); revoked grants (the sweep).
CREATE INDEX oauth_grants_user_subject_client_id_idx ON oauth_grants (user_subject, client_id);
CREATE INDEX oauth_grants_client_id_idx ON oauth_grants (client_id);
CREATE INDEX oauth_grants_revoked_at_idx ON oauth_grants (revoked_at);

-- Authorization codes, by SHA-256. `used_at` is set by the one redemption that claims
-- the code; a later one is a replay. Deleting a grant deletes its codes.
CREATE TABLE oauth_codes (
    code_hash      BYTEA       NOT NULL,
    grant_id       UUID        NOT NULL,
    redirect_uri   TEXT        NOT NULL,
    code_challenge TEXT        NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    used_at        TIMESTAMPTZ NULL,
    CONSTRAINT oauth_codes_pkey PRIMARY KEY (code_hash),
    CONSTRAINT oauth_codes_code_hash_check CHECK (octet_length(code_hash) = 32),
    CONSTRAINT oauth_codes_grant_id_fkey FOREIGN KEY (grant_id)
        REFERENCES oauth_grants (id) ON DELETE CASCADE
);

CREATE INDEX oauth_codes_grant_id_idx ON oauth_codes (grant_id);
CREATE INDEX oauth_codes_expires_at_idx ON oauth_codes (expires_at);

-- Refresh tokens, by SHA-256. A used token stays (until it expires) with `replaced_by`
-- naming its successor, so a second use is recognised: a lost response (within the
-- grace period, successor unused) or a reuse that revokes the grant.
CREATE TABLE oauth_refresh_tokens (
    token_hash  BYTEA       NOT NULL,
    grant_id    UUID        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ NULL,
    replaced_by BYTEA       NULL,
    CONSTRAINT oauth_refresh_tokens_pkey PRIMARY KEY (token_hash),
    CONSTRAINT oauth_refresh_tokens_token_hash_check CHECK (octet_length(token_hash) = 32),
    CONSTRAINT oauth_refresh_tokens_replaced_by_check
        CHECK (replaced_by IS NULL OR octet_length(replaced_by) = 32),
    -- Only a used token has a successor.
    CONSTRAINT oauth_refresh_tokens_replaced_when_used_check
        CHECK (replaced_by IS NULL OR used_at IS NOT NULL),
    CONSTRAINT oauth_refresh_tokens_grant_id_fkey FOREIGN KEY (grant_id)
        REFERENCES oauth_grants (id) ON DELETE CASCADE
);

CREATE INDEX oauth_refresh_tokens_grant_id_idx ON oauth_refresh_tokens (grant_id);
CREATE INDEX oauth_refresh_tokens_expires_at_idx ON oauth_refresh_tokens (expires_at);
