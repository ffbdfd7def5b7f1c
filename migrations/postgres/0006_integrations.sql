-- Integrations: the province's one-stop information system posting every
-- unit's figures in batches, with a token scoped to one competition. Only
-- the token's hash is kept; a revoked token stays listed, unusable.

CREATE TABLE integrations (
    id BIGSERIAL PRIMARY KEY,
    competition_id BIGINT NOT NULL REFERENCES competitions(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX integrations_competition ON integrations (competition_id);
