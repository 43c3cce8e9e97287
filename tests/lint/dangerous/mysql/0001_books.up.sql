CREATE TABLE authors (id bigint PRIMARY KEY);
CREATE TABLE books (id bigint PRIMARY KEY, author_id bigint REFERENCES authors (id));  -- expect: M501, M502
CREATE TABLE pages (id int AUTO_INCREMENT PRIMARY KEY);  -- expect: T302
