-- expect: F706 (its up file was renamed alone)
SELECT 1;
