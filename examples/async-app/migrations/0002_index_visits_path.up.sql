-- migrate:no-transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS visits_path ON visits (path);
