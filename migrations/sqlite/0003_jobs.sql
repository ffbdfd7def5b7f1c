-- Scheduled jobs: a claimed run is finished or, if its instance died, can be
-- taken over after a lease; what each day's close found; the daily reminders.

ALTER TABLE job_runs ADD COLUMN finished_at INTEGER;

CREATE TABLE day_closings (
    competition_id INTEGER NOT NULL REFERENCES competitions(id),
    day TEXT NOT NULL,
    -- JSON arrays of unit codes.
    missing TEXT NOT NULL,
    late TEXT NOT NULL,
    closed_at INTEGER NOT NULL,
    PRIMARY KEY (competition_id, day)
);

CREATE TABLE reminders (
    competition_id INTEGER NOT NULL REFERENCES competitions(id),
    day TEXT NOT NULL,
    -- JSON array of unit codes that had not reported when the reminder ran.
    missing TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    -- 'sent', 'failed: …' or 'no webhook'.
    delivery TEXT,
    delivered_at INTEGER,
    PRIMARY KEY (competition_id, day)
);
