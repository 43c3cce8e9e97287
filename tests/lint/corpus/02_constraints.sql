SET lock_timeout = '3s';
ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);
ALTER TABLE orders ADD CONSTRAINT orders_qty_check CHECK (qty > 0) NOT VALID;
ALTER TABLE orders ADD CONSTRAINT orders_ref_key UNIQUE (ref);
ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE USING INDEX orders_code_idx;
ALTER TABLE items ADD FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE;
ALTER TABLE items ADD CHECK (price >= 0);
ALTER TABLE items ADD CONSTRAINT items_sku_key UNIQUE (sku, variant);
ALTER TABLE items DROP CONSTRAINT items_sku_key;
ALTER TABLE items RENAME CONSTRAINT items_price_check TO items_price_positive;
CREATE TABLE shipments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders (id),
    carrier text NOT NULL
);
ALTER TABLE shipments ADD CONSTRAINT shipments_carrier_check CHECK (carrier <> '');
ALTER TABLE shipments ADD CONSTRAINT shipments_order_key UNIQUE (order_id);
ALTER TABLE shipments ADD CONSTRAINT shipments_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE payments ADD CONSTRAINT payments_amount_check CHECK (amount > 0) NOT VALID;
COMMENT ON CONSTRAINT payments_amount_check ON payments IS 'validated later';
ALTER TABLE refunds ADD CONSTRAINT refunds_payment_fk FOREIGN KEY (payment_id) REFERENCES payments (id) NOT VALID;
