CREATE TABLE customers (id bigint PRIMARY KEY, email text);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint,
    status text,
    total numeric(10, 2)
);
