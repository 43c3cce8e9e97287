CREATE TABLE fresh (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE INDEX fresh_name_idx ON fresh (name);
INSERT INTO fresh (name) VALUES ('a'), ('b');
ALTER TABLE orders ADD COLUMN fresh_id bigint;
ALTER TABLE orders ALTER COLUMN note SET DEFAULT '';
CREATE INDEX orders_fresh_idx ON orders (fresh_id);
DROP TABLE old_stuff;
