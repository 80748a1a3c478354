-- migrate:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS invoices_status_due_idx;
