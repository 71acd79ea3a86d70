-- 0003_timestamptz: times become timestamptz, PostgreSQL's own type, which
-- compares, indexes and prints as a time. 0001 kept them as text with
-- nanoseconds; timestamptz keeps microseconds, finer than any time Wix
-- sends (seconds in webhook tokens, milliseconds in plan events), and the
-- store keeps every time to the microsecond. Existing rows are converted;
-- the zero time, 0001-01-01 00:00:00 UTC, still means "not known" or
-- "never removed".
ALTER TABLE instances ALTER COLUMN removed_at DROP DEFAULT;
ALTER TABLE instances
    ALTER COLUMN installed_at    TYPE timestamptz USING installed_at::timestamptz,
    ALTER COLUMN plan_updated_at TYPE timestamptz USING plan_updated_at::timestamptz,
    ALTER COLUMN removed_at      TYPE timestamptz USING removed_at::timestamptz;
ALTER TABLE instances ALTER COLUMN removed_at SET DEFAULT '0001-01-01 00:00:00+00';
ALTER TABLE settings ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;
