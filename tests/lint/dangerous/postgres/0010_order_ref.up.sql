BEGIN;  -- expect: X401
ALTER TABLE orders ADD COLUMN ref text;  -- expect: P109
COMMIT;  -- expect: X401
