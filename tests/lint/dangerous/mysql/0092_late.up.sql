SET SESSION foreign_key_checks = 0;
-- sqlmig:no-foreign-key-check  -- expect: F707
SELECT 1;
