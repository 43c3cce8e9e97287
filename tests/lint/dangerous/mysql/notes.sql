-- expect: F705 (a query kept beside the migrations: up refuses the folder)
SELECT COUNT(*) FROM orders;
