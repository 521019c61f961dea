-- The gateway as an OAuth authorization server: the MCP servers it protects (resources)
-- and the ES256 keys that will sign their access tokens.
CREATE TABLE resources (
    uri          TEXT        NOT NULL,
    client_name  TEXT        NOT NULL,
    provider     TEXT        NOT NULL,
    scopes       JSONB       NOT NULL,
    display_name TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT resources_pkey PRIMARY KEY (uri)
);

CREATE INDEX resources_client_name_idx ON resources (client_name);

-- current_slot is 1 on the one current key and NULL on the others: the unique
-- constraint (NULLs are distinct) makes "one current key" hold across replicas.
-- The private key is sealed by the key ring, like the credentials' tokens.
CREATE TABLE signing_keys (
    kid             TEXT        NOT NULL,
    algorithm       TEXT        NOT NULL,
    public_key      BYTEA       NOT NULL,
    private_key_enc TEXT        NOT NULL,
    private_key_id  TEXT        NOT NULL,
    current_slot    SMALLINT    NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    retires_at      TIMESTAMPTZ NULL,
    CONSTRAINT signing_keys_pkey PRIMARY KEY (kid),
    CONSTRAINT signing_keys_current_slot_key UNIQUE (current_slot),
    CONSTRAINT signing_keys_current_slot_check CHECK (current_slot = 1),
    CONSTRAINT signing_keys_current_or_retiring_check
        CHECK ((current_slot IS NULL) <> (retires_at IS NULL))
);
