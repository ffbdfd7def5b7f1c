-- Competitions, units, reports with every revision, idempotency keys,
-- organiser accounts, the audit log, board snapshots and final standings.
-- Instants are unix milliseconds (UTC); days are local dates 'YYYY-MM-DD'.

CREATE TABLE competitions (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    frozen_at BIGINT,
    finalized_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE groups (
    competition_id BIGINT NOT NULL REFERENCES competitions(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (competition_id, code)
);

CREATE TABLE units (
    id BIGSERIAL PRIMARY KEY,
    competition_id BIGINT NOT NULL REFERENCES competitions(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    group_code TEXT NOT NULL,
    parent TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    token_hash TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (competition_id, code)
);

CREATE TABLE reports (
    id BIGSERIAL PRIMARY KEY,
    competition_id BIGINT NOT NULL REFERENCES competitions(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    day TEXT NOT NULL,
    revision BIGINT NOT NULL,
    counters TEXT NOT NULL,
    late BIGINT NOT NULL DEFAULT 0,
    corrected BIGINT NOT NULL DEFAULT 0,
    last_revision_id BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (unit_id, day)
);
CREATE INDEX reports_competition ON reports (competition_id, day);

CREATE TABLE revisions (
    id BIGSERIAL PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES reports(id),
    revision BIGINT NOT NULL,
    counters TEXT NOT NULL,
    note TEXT,
    actor_kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT,
    address TEXT,
    late BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (report_id, revision)
);

CREATE TABLE idempotency_keys (
    principal TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (principal, key)
);

CREATE TABLE admin_users (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE admin_tokens (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    competition_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    reason TEXT,
    details TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_competition ON audit_log (competition_id, created_at);

CREATE TABLE board_snapshots (
    competition_id BIGINT NOT NULL REFERENCES competitions(id),
    day TEXT NOT NULL,
    board TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (competition_id, day, board)
);

CREATE TABLE final_standings (
    competition_id BIGINT NOT NULL REFERENCES competitions(id),
    board TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (competition_id, board)
);

CREATE TABLE job_runs (
    job TEXT NOT NULL,
    run_key TEXT NOT NULL,
    ran_at BIGINT NOT NULL,
    PRIMARY KEY (job, run_key)
);
