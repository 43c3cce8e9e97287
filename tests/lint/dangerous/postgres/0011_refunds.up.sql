SET lock_timeout = '2s';
CREATE TABLE refunds (id bigint PRIMARY KEY, amount numeric;  -- expect: S001
CREATE PUBLICATION orders_pub FOR TABLE orders;  -- expect: S002
/* expect: S003 */ -- sqlmig:ignore drop-table
CREATE TABLE payouts (id bigint PRIMARY KEY);
