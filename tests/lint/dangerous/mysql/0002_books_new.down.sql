DROP TABLE books_new;
