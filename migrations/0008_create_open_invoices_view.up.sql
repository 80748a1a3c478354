-- What the dashboard lists: open invoices with their totals.
CREATE VIEW open_invoices AS
SELECT i.id,
       i.organisation_id,
       i.number,
       i.due_at,
       coalesce(sum(l.quantity * l.unit_price), 0) AS total
FROM invoices AS i
LEFT JOIN invoice_lines AS l ON l.invoice_id = i.id
WHERE i.status = 'open'
GROUP BY i.id;
