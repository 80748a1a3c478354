CREATE TABLE plans (
    code         text PRIMARY KEY,
    monthly_fee  numeric(12, 2) NOT NULL
);

INSERT INTO plans (code, monthly_fee) VALUES
    ('free', 0),
    ('team', 49),
    ('business', 199);

ALTER TABLE organisations ADD COLUMN plan_code text REFERENCES plans (code);
