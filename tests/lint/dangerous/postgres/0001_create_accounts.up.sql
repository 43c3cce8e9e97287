SET lock_timeout = '2s';
CREATE TABLE accounts (
    id serial PRIMARY KEY,  -- expect: T302
    email varchar(320) NOT NULL,  -- expect: T301
    settings json,  -- expect: T304
    created_at timestamp NOT NULL DEFAULT now(),  -- expect: T303
    this_column_name_is_far_too_long_for_postgres_which_cuts_it_at_63 text  -- expect: T305
);
CREATE INDEX accounts_email_idx ON accounts (email);
