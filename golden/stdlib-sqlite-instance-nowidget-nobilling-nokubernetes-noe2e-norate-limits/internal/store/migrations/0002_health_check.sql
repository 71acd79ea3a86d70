-- 0002_health_check: the row Store.Ping writes, so that a database that
-- answers but cannot take writes (a full disk, a read-only file) fails the
-- health check.
CREATE TABLE health_check (
    id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    checked_at TEXT    NOT NULL
) STRICT;
