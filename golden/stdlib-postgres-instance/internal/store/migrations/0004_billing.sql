-- 0004_billing: what --billing keeps (the columns and the table exist
-- whatever the options, so turning billing on later needs no migration).
--
-- The rest of a site's plan, beside plan and plan_updated_at: its billing
-- cycle, whether it renews, and when it ends, with the time of the event
-- that said when it ends (zero when none did). site holds the latest Get
-- App Instance answer about the site, as JSON text, from site_updated_at.
ALTER TABLE instances
    ADD COLUMN plan_cycle             text        NOT NULL DEFAULT '',
    ADD COLUMN plan_auto_renew        boolean     NOT NULL DEFAULT false,
    ADD COLUMN plan_expires_at        timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    ADD COLUMN plan_expiry_updated_at timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    ADD COLUMN site                   text        NOT NULL DEFAULT '',
    ADD COLUMN site_updated_at        timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00';

-- The purge looks removed sites up by the time of their removal.
CREATE INDEX instances_removed_at ON instances (removed_at);

-- webhook_events holds a key per webhook event handled, or being handled,
-- until the time in until: Wix delivers an event again for about two
-- days, and every replica of the server shares the table.
CREATE TABLE webhook_events (
    key   text COLLATE "C" NOT NULL PRIMARY KEY,
    until timestamptz      NOT NULL
);
CREATE INDEX webhook_events_until ON webhook_events (until);
