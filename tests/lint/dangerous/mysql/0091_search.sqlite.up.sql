-- expect: F708 (the generic 0091_search.up.sql was never written)
SELECT 1;
