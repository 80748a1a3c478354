CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    actor_id     bigint REFERENCES users (id) ON DELETE SET NULL,
    action       text NOT NULL,
    payload      jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE FUNCTION audit_invoice_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (action, payload)
    VALUES (TG_OP || ' invoice', to_jsonb(NEW));
    RETURN NEW;
END;
$$;

CREATE TRIGGER invoices_audit
    AFTER INSERT OR UPDATE ON invoices
    FOR EACH ROW EXECUTE FUNCTION audit_invoice_change();
