-- sqlmig:ignore unchecked-statement
DROP PUBLICATION orders_pub;
SET lock_timeout = '2s';
DROP TABLE payouts;
