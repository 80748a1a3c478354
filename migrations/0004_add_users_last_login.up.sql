-- Nullable column without a default: a catalog-only change, no table rewrite.
ALTER TABLE users ADD COLUMN last_login_at timestamptz;
