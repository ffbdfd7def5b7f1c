-- Organiser API tokens get a name, an optional expiry, the time of their
-- last use and a revocation time (kept, not deleted, so the listing shows
-- what was revoked and when). A token belongs to an existing organiser:
-- tokens minted before for a name without an account keep working under a
-- new account whose password can never match ('!' is no argon2 hash) until
-- someone sets one with `thidua admin add-user`.
-- Devices: browsers where an organiser signed in before; a login from one
-- is limited on its own, so that strangers failing at the same account
-- cannot lock its organiser out.
-- Instants are unix milliseconds (UTC).

ALTER TABLE organizer_tokens ADD COLUMN label TEXT NOT NULL DEFAULT '';
ALTER TABLE organizer_tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE organizer_tokens ADD COLUMN last_used_at BIGINT;
ALTER TABLE organizer_tokens ADD COLUMN revoked_at BIGINT;

INSERT INTO organizers (name, password_hash, created_at)
SELECT name, '!', MIN(created_at) FROM organizer_tokens
WHERE name NOT IN (SELECT name FROM organizers)
GROUP BY name;

CREATE INDEX organizer_tokens_name ON organizer_tokens (name);

CREATE TABLE organizer_devices (
    key_hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX organizer_devices_name ON organizer_devices (name);
