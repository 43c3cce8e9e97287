-- Rebuild the bloated indexes of orders.
REINDEX TABLE orders;  -- expect: P110
