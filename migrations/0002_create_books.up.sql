CREATE TABLE books (
    id INTEGER PRIMARY KEY,
    title VARCHAR(300) NOT NULL,
    author_id INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    published_date DATE
);

CREATE INDEX books_author_id_idx ON books (author_id);
