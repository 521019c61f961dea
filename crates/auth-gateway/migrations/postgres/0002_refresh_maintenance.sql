-- Background refresh: when a credential was last served (written at most hourly, so a
-- hot token costs no write per request), and named leases so one replica at a time
-- runs a background job.
ALTER TABLE credentials ADD COLUMN last_used_at TIMESTAMPTZ NULL;

CREATE INDEX credentials_expires_at_idx ON credentials (expires_at);

CREATE TABLE job_leases (
    name        TEXT        NOT NULL,
    owner       TEXT        NOT NULL,
    lease_until TIMESTAMPTZ NOT NULL,
    CONSTRAINT job_leases_pkey PRIMARY KEY (name)
);
