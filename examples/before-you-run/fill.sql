-- rows for the example: 100 000 customers, 2 million orders, 11 without a status
INSERT INTO customers SELECT g, 'c' || g || '@example.com' FROM generate_series(1, 100000) g;
INSERT INTO orders
SELECT g, 1 + g % 100000, CASE WHEN g % 166667 = 0 THEN NULL ELSE 'paid' END, g % 500
FROM generate_series(1, 2000000) g;
ANALYZE customers; ANALYZE orders;
