-- sqlmig:no-transaction
CREATE INDEX CONCURRENTLY orders_paid ON orders (id) WHERE status = 'paid';
