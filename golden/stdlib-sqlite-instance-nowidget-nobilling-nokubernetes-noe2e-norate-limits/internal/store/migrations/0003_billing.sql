-- 0003_billing: what --billing keeps (the columns and the table exist
-- whatever the options, so turning billing on later needs no migration).
--
-- The rest of a site's plan, beside plan and plan_updated_at: its billing
-- cycle, whether it renews, and when it ends, with the time of the event
-- that said when it ends (zero when none did). site holds the latest Get
-- App Instance answer about the site, as JSON, from site_updated_at.
ALTER TABLE instances ADD COLUMN plan_cycle TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN plan_auto_renew INTEGER NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN plan_expires_at TEXT NOT NULL DEFAULT '0001-01-01T00:00:00.000000000Z';
ALTER TABLE instances ADD COLUMN plan_expiry_updated_at TEXT NOT NULL DEFAULT '0001-01-01T00:00:00.000000000Z';
ALTER TABLE instances ADD COLUMN site TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN site_updated_at TEXT NOT NULL DEFAULT '0001-01-01T00:00:00.000000000Z';

-- The purge looks removed sites up by the time of their removal.
CREATE INDEX instances_removed_at ON instances (removed_at);

-- webhook_events holds a key per webhook event handled, or being handled,
-- until the time in until: Wix delivers an event again for about two
-- days, and every replica of the server sees the same table.
CREATE TABLE webhook_events (
    key   TEXT NOT NULL PRIMARY KEY,
    until TEXT NOT NULL
) STRICT;
CREATE INDEX webhook_events_until ON webhook_events (until);
