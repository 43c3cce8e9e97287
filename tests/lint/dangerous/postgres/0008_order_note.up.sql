ALTER TABLE orders ADD COLUMN note text;  -- expect: P109
