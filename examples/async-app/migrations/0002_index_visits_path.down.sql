-- migrate:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS visits_path;
