-- Integrations: the province's one-stop information system posting every
-- unit's figures in batches, with a token scoped to one competition. Only
-- the token's hash is kept; a revoked token stays listed, unusable.

CREATE TABLE integrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    competition_id INTEGER NOT NULL REFERENCES competitions(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX integrations_competition ON integrations (competition_id);
