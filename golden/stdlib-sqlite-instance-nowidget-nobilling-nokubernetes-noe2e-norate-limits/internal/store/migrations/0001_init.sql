-- 0001_init: installations and their settings documents.
--
-- Times are UTC text in a fixed-width RFC 3339 layout with nanoseconds
-- (2006-01-02T15:04:05.000000000Z), so comparing them as strings compares
-- them as times. The zero time (0001-01-01T00:00:00.000000000Z) means
-- "not known yet", or for removed_at "never removed".

-- instances holds installation records, which the webhook handlers keep
-- (the table is created whether or not the project receives webhooks, so
-- turning them on later needs no migration).
--
-- removed_at is the time of the latest removal applied; it stays after a
-- reinstall, so that a late install or plan event of the removed
-- installation is still refused. A removed instance is a tombstone row:
-- removed_at set, installed_at and plan_updated_at zero and plan empty.
CREATE TABLE instances (
    id              TEXT NOT NULL PRIMARY KEY,
    installed_at    TEXT NOT NULL,
    plan            TEXT NOT NULL DEFAULT '',
    plan_updated_at TEXT NOT NULL,
    removed_at      TEXT NOT NULL DEFAULT '0001-01-01T00:00:00.000000000Z'
) STRICT;

-- settings rows may exist before the instance row: the dashboard can save
-- settings before the install webhook arrives, so there is no foreign key.
CREATE TABLE settings (
    instance_id TEXT    NOT NULL PRIMARY KEY,
    doc         TEXT    NOT NULL,
    version     INTEGER NOT NULL CHECK (version > 0),
    updated_at  TEXT    NOT NULL
) STRICT;
