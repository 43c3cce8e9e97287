-- The library app of Django's and Alembic's tutorials. Valid on SQLite and PostgreSQL.
CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    age INTEGER CHECK (age >= 0)
);
