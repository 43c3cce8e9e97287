-- expect: F704
SELECT 1;
