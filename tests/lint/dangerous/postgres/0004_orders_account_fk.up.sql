SET lock_timeout = '2s';
SET statement_timeout = '1min';
ALTER TABLE orders ADD CONSTRAINT orders_account_fk  -- expect: P103
    FOREIGN KEY (account_id) REFERENCES accounts (id);
