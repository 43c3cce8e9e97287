-- a repeatable migration: runs again whenever it changes
CREATE OR REPLACE VIEW order_totals AS SELECT 1 AS total;
CREATE VIEW order_count AS SELECT 1 AS n;  -- expect: F709
