-- Organisers scoped to competitions: one deployment serves several
-- provinces, and an organiser answers for the competitions granted to
-- them, or — deployment_wide = 1 — for every competition. The organisers
-- there were before answered for everything and keep doing so; so do new
-- ones created without a competition (`thidua admin add-user`).

ALTER TABLE organizers ADD COLUMN deployment_wide INTEGER NOT NULL DEFAULT 1;

CREATE TABLE organizer_competitions (
    organizer_id INTEGER NOT NULL REFERENCES organizers(id) ON DELETE CASCADE,
    competition_id INTEGER NOT NULL REFERENCES competitions(id) ON DELETE CASCADE,
    granted_by TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (organizer_id, competition_id)
);
CREATE INDEX organizer_competitions_competition ON organizer_competitions (competition_id);
