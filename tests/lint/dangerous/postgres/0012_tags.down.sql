-- expect: F702 (account_tags stays)
SET lock_timeout = '2s';
DROP TABLE tags;
