SET lock_timeout = '2s';
ALTER TABLE events DETACH PARTITION events_2019;  -- expect: P111
ALTER DOMAIN positive_amount ADD CONSTRAINT positive CHECK (VALUE > 0);  -- expect: P113
ALTER TYPE order_status ADD VALUE 'on_hold';  -- expect: P114
ALTER TYPE order_status ADD VALUE 'pending' BEFORE 'paid';
ALTER TABLE orders ALTER COLUMN note DROP NOT NULL;  -- expect: D209
CREATE TABLE currencies (code char(3) PRIMARY KEY, name text NOT NULL);  -- expect: T306
