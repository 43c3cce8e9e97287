SET lock_timeout = '2s';
ALTER TABLE orders ADD CONSTRAINT orders_account_fk  -- expect: P103
    FOREIGN KEY (account_id) REFERENCES accounts (id);
