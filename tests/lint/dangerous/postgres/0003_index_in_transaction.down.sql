-- sqlmig:no-transaction
SET lock_timeout = '2s';
DROP INDEX CONCURRENTLY orders_user_idx;
