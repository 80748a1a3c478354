DROP TRIGGER IF EXISTS invoices_audit ON invoices;
DROP FUNCTION IF EXISTS audit_invoice_change();
DROP TABLE IF EXISTS audit_log;
