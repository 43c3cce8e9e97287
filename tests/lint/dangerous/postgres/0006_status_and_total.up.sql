SET lock_timeout = '2s';
ALTER TABLE orders ALTER COLUMN status SET NOT NULL;  -- expect: P105
ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);  -- expect: P106
