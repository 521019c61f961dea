-- Client keys are looked up by digest, current or previous (rotation grace); the audit
-- trail is listed by time when no user is given.
CREATE INDEX clients_previous_key_digest_idx ON clients (previous_key_digest);

CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at);
