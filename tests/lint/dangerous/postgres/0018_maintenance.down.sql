ANALYZE orders;
VACUUM orders;  -- expect: X404
