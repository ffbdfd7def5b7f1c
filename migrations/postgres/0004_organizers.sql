-- One name for the organiser's account in the schema and the data: the
-- tables, session kind, revision author and audit actions say "organizer".
-- An idempotency record keeps whether the first answer created the report,
-- from which the API's status code follows, instead of the code itself.

ALTER TABLE admin_users RENAME TO organizers;
ALTER TABLE admin_tokens RENAME TO organizer_tokens;
UPDATE sessions SET kind = 'organizer' WHERE kind = 'admin';
UPDATE revisions SET actor_kind = 'organizer' WHERE actor_kind = 'admin';
UPDATE audit_log SET action = 'organizer.login' WHERE action = 'admin.login';
UPDATE audit_log SET action = 'organizer.add' WHERE action = 'admin.add_user';
UPDATE audit_log SET action = 'organizer.token' WHERE action = 'admin.token';
ALTER TABLE idempotency_keys RENAME COLUMN status TO created;
UPDATE idempotency_keys SET created = CASE WHEN created = 201 THEN 1 ELSE 0 END;
