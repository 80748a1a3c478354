CREATE TYPE invoice_status AS ENUM ('draft', 'open', 'paid', 'void');

CREATE TABLE invoices (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  bigint NOT NULL REFERENCES organisations (id),
    number           text NOT NULL,
    status           invoice_status NOT NULL DEFAULT 'draft',
    currency         text NOT NULL DEFAULT 'EUR' CHECK (length(currency) = 3),
    issued_at        timestamptz,
    due_at           timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organisation_id, number)
);

CREATE TABLE invoice_lines (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id   bigint NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    description  text NOT NULL,
    quantity     integer NOT NULL CHECK (quantity > 0),
    unit_price   numeric(12, 2) NOT NULL
);
