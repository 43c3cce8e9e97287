SET lock_timeout = '2s';
SET statement_timeout = '1min';
ALTER TABLE orders ALTER COLUMN status SET NOT NULL;  -- expect: P105
ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);  -- expect: P106
