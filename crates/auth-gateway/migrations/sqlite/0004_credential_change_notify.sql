-- Nothing to do on SQLite. On PostgreSQL this version adds the trigger that announces
-- credential changes to the other replicas' token caches; SQLite serves one process
-- and keeps no token cache, so there is no one to tell. The version exists so both
-- backends carry the same list of migrations.
SELECT 1;
