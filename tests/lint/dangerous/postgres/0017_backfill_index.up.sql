-- sqlmig:no-transaction
SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN billing_email text;  -- expect: X403
CREATE INDEX CONCURRENTLY orders_billing_email ON orders (billing_email);  -- expect: X403
BEGIN;  -- expect: X402
UPDATE orders SET billing_email = '';
