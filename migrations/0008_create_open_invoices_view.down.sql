DROP VIEW IF EXISTS open_invoices;
