SET lock_timeout = '2s';
ALTER TABLE accounts DROP COLUMN api_token;
ALTER TABLE accounts DROP CONSTRAINT accounts_email_key;
