SET lock_timeout = '2s';
SET statement_timeout = '1min';
ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);  -- expect: P107
ALTER TABLE accounts ADD COLUMN api_token uuid DEFAULT gen_random_uuid();  -- expect: P108
