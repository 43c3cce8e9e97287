-- expect: F701 (there is no down file)
SET lock_timeout = '2s';
DROP TABLE legacy_events;  -- expect: D201
ALTER TABLE orders DROP COLUMN coupon;  -- expect: D202
DROP SCHEMA archive CASCADE;  -- expect: D203
DROP TYPE old_status;  -- expect: D204
ALTER TABLE customers RENAME TO clients;  -- expect: D205
ALTER TABLE orders RENAME COLUMN total TO amount;  -- expect: D206
ALTER TABLE orders ADD COLUMN region text NOT NULL;  -- expect: D207
TRUNCATE audit_log CASCADE;  -- expect: D208
