CREATE TABLE books_new (id bigint PRIMARY KEY, title varchar(50) NOT NULL);
INSERT INTO books_new (id) SELECT id FROM books;  -- expect: M503
