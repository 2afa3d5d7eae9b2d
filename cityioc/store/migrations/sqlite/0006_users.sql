-- People who sign in to the web UI (cityioc/accounts), their server-side sessions, and the
-- agency an agency-role API key acts for. Usernames are stored folded to lower case; the index on
-- lower(username) keeps them unique without regard to case whatever writes the row.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    agency TEXT,
    locale TEXT NOT NULL DEFAULT 'vi',
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    disabled_at INTEGER,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    last_login_at INTEGER,
    password_changed_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (lower(username));

-- One row per signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so
-- a copy of the database lets nobody resume a session. Idle expiry is last_seen_at + the idle
-- timeout (a setting); expires_at is the absolute end.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    csrf_token TEXT NOT NULL,
    address TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

ALTER TABLE api_keys ADD COLUMN agency TEXT;
