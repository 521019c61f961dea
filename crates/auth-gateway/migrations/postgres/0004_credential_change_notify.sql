-- Every change to a credentials row, by any writer (a replica, the admin CLI, a manual
-- UPDATE), is announced on `auth_gateway_credential_changed` with the payload
-- "provider<newline>user_email". Replicas that cache decrypted tokens drop the entry on
-- it, so a revoke or a new sign-in on one replica takes effect on all of them.
CREATE FUNCTION auth_gateway_notify_credential_changed() RETURNS trigger AS $$
DECLARE
    changed credentials;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
    ELSE
        changed := NEW;
    END IF;
    PERFORM pg_notify('auth_gateway_credential_changed',
                      changed.provider || E'\n' || changed.user_email);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER credentials_changed
    AFTER INSERT OR UPDATE OR DELETE ON credentials
    FOR EACH ROW EXECUTE FUNCTION auth_gateway_notify_credential_changed();
