SET lock_timeout = '2s';
ALTER TABLE orders ALTER COLUMN status DROP NOT NULL;
-- sqlmig:ignore column-type-change (reviewed: orders is small)
ALTER TABLE orders ALTER COLUMN total TYPE numeric;  -- expect: P112
