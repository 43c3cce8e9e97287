ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
CREATE INDEX orders_customer ON orders (customer_id);
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
    FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);
