-- sqlmig:no-transaction
SET lock_timeout = '2s';
DROP INDEX CONCURRENTLY IF EXISTS orders_billing_email;
ALTER TABLE orders DROP COLUMN IF EXISTS billing_email;
