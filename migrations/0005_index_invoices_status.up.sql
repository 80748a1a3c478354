-- migrate:no-transaction
-- Built without blocking writes to invoices; cannot run inside a transaction.
CREATE INDEX CONCURRENTLY IF NOT EXISTS invoices_status_due_idx
    ON invoices (status, due_at)
    WHERE status = 'open';
