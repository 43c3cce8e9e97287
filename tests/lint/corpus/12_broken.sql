SET lock_timeout = '3s';
CREATE TABLE broken (id bigint PRIMARY KEY, name text;
ALTER TABLE orders ADD COLUMN x int DEFAULT;
INSERT INTO t VALUES (1,;
SELEC 1;
CREATE TABLE ok_after_broken (id bigint PRIMARY KEY);
UPDATE t SET a = WHERE b = 1;
CREATE INDEX ON;
