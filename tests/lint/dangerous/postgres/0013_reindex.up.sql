-- Rebuild the bloated indexes of orders.
SET statement_timeout = '10min';
REINDEX TABLE orders;  -- expect: P110
