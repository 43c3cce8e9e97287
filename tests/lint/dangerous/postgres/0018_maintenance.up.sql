-- sqlmig:no-transaction
SET lock_timeout = '2s';
SET statement_timeout = '30min';
VACUUM FULL orders;  -- expect: P115
