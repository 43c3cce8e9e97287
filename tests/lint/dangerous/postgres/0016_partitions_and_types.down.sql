SET lock_timeout = '2s';
SET statement_timeout = '1min';
DROP TABLE currencies;
ALTER TABLE orders ALTER COLUMN note SET NOT NULL;  -- expect: P105
ALTER DOMAIN positive_amount DROP CONSTRAINT positive;
ALTER TABLE events ATTACH PARTITION events_2019 FOR VALUES FROM ('2019-01-01') TO ('2020-01-01');
