-- Organisers scoped to competitions: one deployment serves several
-- provinces, and an organiser answers for the competitions granted to
-- them, or — deployment_wide = 1 — for every competition. The organisers
-- there were before answered for everything and keep doing so; so do new
-- ones created without a competition (`thidua admin add-user`).

ALTER TABLE organizers ADD COLUMN deployment_wide BIGINT NOT NULL DEFAULT 1;

CREATE TABLE organizer_competitions (
    organizer_id BIGINT NOT NULL REFERENCES organizers(id) ON DELETE CASCADE,
    competition_id BIGINT NOT NULL REFERENCES competitions(id) ON DELETE CASCADE,
    granted_by TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (organizer_id, competition_id)
);
CREATE INDEX organizer_competitions_competition ON organizer_competitions (competition_id);
