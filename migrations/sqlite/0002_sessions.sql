-- Web sessions of organisers and unit staff. The cookie carries a random
-- session key; only its hash is stored, so a copy of the database opens no
-- session. Each session has its own CSRF token for forms.
-- Instants are unix milliseconds (UTC).

CREATE TABLE sessions (
    key_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    unit_id INTEGER,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_unit ON sessions (unit_id);
