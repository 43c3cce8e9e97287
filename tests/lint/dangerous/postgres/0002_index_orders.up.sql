SET lock_timeout = '2s';
SET statement_timeout = '1min';
CREATE INDEX orders_created_idx ON orders (created_at);  -- expect: P101
