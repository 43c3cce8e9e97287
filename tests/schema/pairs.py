"""(current, desired) schema pairs for `sqlmig diff`: each must turn into the other both ways."""

AUTHORS = "CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL);\n"
BOOKS = (
    "CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, "
    "author_id INTEGER REFERENCES authors (id), price NUMERIC(10,2){extra});\n"
)
BASE = AUTHORS + BOOKS.format(extra="")


def books(extra: str) -> str:
    return AUTHORS + BOOKS.format(extra=extra)


PAIRS = [
    ("add_column", BASE, books(", isbn VARCHAR(13)")),
    ("add_not_null_with_default", BASE, books(", stock INTEGER NOT NULL DEFAULT 0")),
    ("add_column_with_check", BASE, books(", pages INTEGER CHECK (pages > 0)")),
    ("widen_type", BASE, BASE.replace("VARCHAR(100)", "VARCHAR(200)")),
    ("change_type", BASE, BASE.replace("price NUMERIC(10,2)", "price INTEGER")),
    ("set_not_null", BASE, BASE.replace("title TEXT NOT NULL", "title TEXT")),
    ("add_default", BASE, BASE.replace("price NUMERIC(10,2)", "price NUMERIC(10,2) DEFAULT 0")),
    ("change_default", books(", state TEXT DEFAULT 'new'"), books(", state TEXT DEFAULT 'old'")),
    ("add_index", BASE, BASE + "CREATE INDEX books_title ON books (title);"),
    ("index_becomes_unique", BASE + "CREATE INDEX books_title ON books (title);",
     BASE + "CREATE UNIQUE INDEX books_title ON books (title);"),
    ("partial_index", BASE + "CREATE INDEX books_price ON books (price);",
     BASE + "CREATE INDEX books_price ON books (price) WHERE price > 0;"),
    ("expression_index", BASE, BASE + "CREATE INDEX authors_lower ON authors (lower(name));"),
    ("multi_column_desc_index", BASE,
     BASE + "CREATE INDEX books_author_title ON books (author_id, title DESC);"),
    ("add_unique_constraint", BASE, books(", UNIQUE (title, author_id)")),
    ("add_check_constraint", BASE, books(", CONSTRAINT positive CHECK (price >= 0)")),
    ("change_check_constraint", books(", CONSTRAINT positive CHECK (price >= 0)"),
     books(", CONSTRAINT positive CHECK (price > 0)")),
    ("drop_foreign_key", BASE, BASE.replace(" REFERENCES authors (id)", "")),
    ("foreign_key_action", BASE,
     BASE.replace("REFERENCES authors (id)", "REFERENCES authors (id) ON DELETE CASCADE")),
    ("new_referencing_table", BASE, BASE + "CREATE TABLE reviews (id INTEGER PRIMARY KEY, "
     "book_id INTEGER NOT NULL REFERENCES books (id) ON DELETE CASCADE, body TEXT);\n"
     "CREATE INDEX reviews_book ON reviews (book_id);"),
    ("drop_tables_that_reference_each_other", BASE, ""),
    ("add_view", BASE, BASE + "CREATE VIEW titles AS SELECT id, title FROM books;"),
    ("change_view_under_a_view",
     BASE + "CREATE VIEW titles AS SELECT id, title FROM books;\n"
     "CREATE VIEW short AS SELECT title FROM titles WHERE id < 10;",
     BASE + "CREATE VIEW titles AS SELECT id, title, price FROM books;\n"
     "CREATE VIEW short AS SELECT title FROM titles WHERE id < 10;"),
    ("change_column_under_a_view", BASE + "CREATE VIEW prices AS SELECT id, price FROM books;",
     BASE.replace("price NUMERIC(10,2)", "price NUMERIC(12,2)")
     + "CREATE VIEW prices AS SELECT id, price FROM books;"),
    ("rename_looks_like_drop_and_add", books(", isbn VARCHAR(13)"), books(", isbn13 VARCHAR(13)")),
    ("rename_table_looks_like_drop_and_create", BASE + "CREATE TABLE tags (id INTEGER, t TEXT);",
     BASE + "CREATE TABLE labels (id INTEGER, t TEXT);"),
    ("add_primary_key", BASE + "CREATE TABLE tags (id INTEGER NOT NULL, t TEXT);",
     BASE + "CREATE TABLE tags (id INTEGER NOT NULL PRIMARY KEY, t TEXT);"),
    ("composite_primary_key", BASE + "CREATE TABLE loans (book_id INTEGER NOT NULL, "
     "reader TEXT NOT NULL, PRIMARY KEY (book_id));",
     BASE + "CREATE TABLE loans (book_id INTEGER NOT NULL, reader TEXT NOT NULL, "
     "PRIMARY KEY (book_id, reader));"),
    ("from_empty", "", BASE + "CREATE INDEX books_title ON books (title);\n"
     "CREATE VIEW titles AS SELECT id, title FROM books;"),
    ("many_changes_at_once", BASE + "CREATE INDEX books_title ON books (title);",
     "CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(120) NOT NULL, born DATE);\n"
     "CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, "
     "author_id INTEGER REFERENCES authors (id) ON DELETE SET NULL, price NUMERIC(10,2), "
     "UNIQUE (title));\nCREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);\n"
     "CREATE INDEX books_price ON books (price) WHERE price IS NOT NULL;\n"
     "CREATE VIEW cheap AS SELECT id, title FROM books WHERE price < 10;"),
    ("boolean_and_date_columns", BASE, books(", available BOOLEAN DEFAULT TRUE, "
     "published DATE DEFAULT CURRENT_DATE")),
]  # fmt: skip

# PostgreSQL's details and kinds: operator classes, collations and order of index keys,
# extensions, statistics, row security, policies, comments, deferrable keys, domains, composite
# types, partitions.
PG_FIDELITY = [
    ("index_operator_class_collation_order", BASE + "CREATE INDEX books_title ON books (title);",
     BASE + "CREATE INDEX books_title ON books (title text_pattern_ops DESC NULLS LAST);\n"
     'CREATE INDEX authors_name ON authors (name COLLATE "C", lower(name) DESC);'),
    ("extensions_and_what_uses_them", BASE,
     "CREATE EXTENSION pg_trgm;\nCREATE SCHEMA ext;\nCREATE EXTENSION ltree WITH SCHEMA ext;\n"
     + books(", path ext.ltree")
     + "CREATE INDEX books_trgm ON books USING gin (title gin_trgm_ops);"),
    ("extended_statistics", BASE + "CREATE STATISTICS books_s (ndistinct) ON id, author_id "
     "FROM books;", BASE + "CREATE STATISTICS books_s (dependencies) ON id, author_id FROM books;\n"
     "CREATE STATISTICS authors_s ON id, name FROM authors;"),
    ("row_security_and_policies", BASE + "CREATE POLICY gone ON books USING (true);",
     BASE + "ALTER TABLE books ENABLE ROW LEVEL SECURITY;\n"
     "ALTER TABLE books FORCE ROW LEVEL SECURITY;\nALTER TABLE authors FORCE ROW LEVEL SECURITY;\n"
     "CREATE POLICY cheap ON books FOR SELECT TO CURRENT_USER USING (price < 10);\n"
     "CREATE POLICY named ON books AS RESTRICTIVE FOR INSERT WITH CHECK (title <> '');"),
    ("policy_on_a_changed_column", books(", owner text") + "ALTER TABLE books ENABLE ROW LEVEL "
     "SECURITY;\nCREATE POLICY mine ON books USING (owner = current_user);",
     books(", owner varchar(20)") + "ALTER TABLE books ENABLE ROW LEVEL SECURITY;\n"
     "CREATE POLICY mine ON books USING (owner = current_user);"),
    ("comments_added_changed_removed", BASE + "COMMENT ON TABLE books IS 'old';\n"
     "COMMENT ON COLUMN books.title IS 'gone';\nCREATE VIEW v AS SELECT id, price FROM books;\n"
     "COMMENT ON VIEW v IS 'kept';\nCOMMENT ON COLUMN v.price IS 'kept too';",
     BASE.replace("price NUMERIC(10,2)", "price NUMERIC(12,2)")
     + "COMMENT ON TABLE books IS 'new';\nCOMMENT ON COLUMN authors.name IS 'added';\n"
     "CREATE VIEW v AS SELECT id, price FROM books;\nCOMMENT ON VIEW v IS 'kept';\n"
     "COMMENT ON COLUMN v.price IS 'kept too';\n"
     "COMMENT ON CONSTRAINT books_pkey ON books IS 'key';"),
    ("deferrable_constraints", books(", UNIQUE (title)"),
     books(", UNIQUE (title) DEFERRABLE INITIALLY DEFERRED").replace(
         "REFERENCES authors (id)", "REFERENCES authors (id) DEFERRABLE")),
    ("domains", "CREATE DOMAIN pos AS int CHECK (VALUE > 0);\nCREATE TABLE t (n pos);",
     "CREATE DOMAIN pos AS int NOT NULL DEFAULT 1 CONSTRAINT pos_check CHECK (VALUE >= 0) "
     "CONSTRAINT small CHECK (VALUE < 100);\nCREATE DOMAIN code AS text;\n"
     "CREATE DOMAIN codes AS code[];\nCREATE TABLE t (n pos, c codes);"),
    ("composite_types", "CREATE TYPE pair AS (x int, y text);\nCREATE TABLE t (p pair);",
     "CREATE TYPE pair AS (x int, z date);\nCREATE TYPE nest AS (p pair, n numeric);\n"
     "CREATE TABLE t (p pair, n nest);"),
    ("partitions", "CREATE TABLE m (id int, at date) PARTITION BY RANGE (at);\n"
     "CREATE TABLE m_2020 PARTITION OF m FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\n"
     "CREATE TABLE m_x (id int, at date);",
     "CREATE TABLE m (id int, at date) PARTITION BY RANGE (at);\n"
     "CREATE TABLE m_2020 PARTITION OF m FOR VALUES FROM ('2020-01-01') TO ('2020-07-01');\n"
     "CREATE TABLE m_x PARTITION OF m FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');\n"
     "CREATE TABLE b_2023 PARTITION OF m FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');\n"
     "CREATE INDEX m_at ON m (at);"),
    ("table_inheritance", "CREATE TABLE base (id int);\nCREATE TABLE other (n int);\n"
     "CREATE TABLE child (x text) INHERITS (base);\nCREATE TABLE gone () INHERITS (child);",
     "CREATE TABLE base (id int);\nCREATE TABLE other (n int);\n"
     "CREATE TABLE child (x text, n int) INHERITS (base, other);\n"
     "CREATE TABLE newer (y int) INHERITS (child);"),
    # a rename written as drop + create: DROP TABLE must not take the serial's sequence along
    ("table_dropped_its_sequence_kept", "CREATE TABLE a (id serial PRIMARY KEY);",
     "CREATE SEQUENCE a_id_seq AS integer;\n"
     "CREATE TABLE b (id integer NOT NULL DEFAULT nextval('a_id_seq') PRIMARY KEY);\n"
     "ALTER SEQUENCE a_id_seq OWNED BY b.id;"),
    ("drop_partitioned_table", "CREATE TABLE m (id int, at date) PARTITION BY LIST (id);\n"
     "CREATE TABLE a_1 PARTITION OF m FOR VALUES IN (1);\n"
     "CREATE TABLE m_2 PARTITION OF m FOR VALUES IN (2) PARTITION BY RANGE (at);\n"
     "CREATE TABLE m_2_all PARTITION OF m_2 DEFAULT;", ""),
]  # fmt: skip

# Kinds of objects only one database has.
ONLY = {
    "postgres": [
        ("enum_gets_a_label", "CREATE TYPE mood AS ENUM ('sad', 'ok');\n"
         "CREATE TABLE t (id int PRIMARY KEY, m mood);",
         "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n"
         "CREATE TABLE t (id int PRIMARY KEY, m mood);"),
        ("identity_sequence_schema", BASE,
         BASE + "CREATE SCHEMA audit;\nCREATE SEQUENCE audit.seq START 10;\n"
         "CREATE TABLE audit.log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
         "n bigint DEFAULT nextval('audit.seq'), at timestamptz DEFAULT now());"),
        ("function_and_trigger", BASE,
         BASE + "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS "
         "$$ BEGIN NEW.title := trim(NEW.title); RETURN NEW; END $$;\n"
         "CREATE TRIGGER books_touch BEFORE INSERT ON books FOR EACH ROW "
         "EXECUTE FUNCTION touch();"),
        ("materialized_view_and_its_index", BASE + "CREATE MATERIALIZED VIEW counts AS "
         "SELECT author_id, count(*) AS n FROM books GROUP BY author_id;\n"
         "CREATE INDEX counts_n ON counts (n);",
         BASE.replace("price NUMERIC(10,2)", "price NUMERIC(12,2)")
         + "CREATE MATERIALIZED VIEW counts AS "
         "SELECT author_id, count(*) AS n FROM books GROUP BY author_id;\n"
         "CREATE UNIQUE INDEX counts_n ON counts (author_id);"),
        ("serial_and_identity_changes", "CREATE TABLE t (id serial PRIMARY KEY, n int);",
         "CREATE TABLE t (id serial PRIMARY KEY, n int GENERATED BY DEFAULT AS IDENTITY);"),
        *PG_FIDELITY,
    ],
    "sqlite": [
        ("rebuild_keeps_triggers", BASE + "CREATE TABLE log (msg TEXT);\n"
         "CREATE TRIGGER books_log AFTER INSERT ON books BEGIN "
         "INSERT INTO log VALUES (NEW.title); END;",
         BASE.replace("price NUMERIC(10,2)", "price REAL") + "CREATE TABLE log (msg TEXT);\n"
         "CREATE TRIGGER books_log AFTER INSERT ON books BEGIN "
         "INSERT INTO log VALUES (NEW.title); END;"),
        ("autoincrement_and_without_rowid", BASE,
         BASE + "CREATE TABLE seq (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);\n"
         "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;"),
        ("generated_columns", BASE, books(", cents INTEGER GENERATED ALWAYS AS (price * 100) "
         "STORED, upper_title TEXT AS (upper(title))")),
    ],
    "mysql": [
        ("many_changes_at_once_without_partial_index",
         BASE + "CREATE INDEX books_price ON books (price);",
         "CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(120) NOT NULL, born DATE);\n"
         "CREATE TABLE books (id INTEGER PRIMARY KEY, title VARCHAR(200) NOT NULL, "
         "author_id INTEGER REFERENCES authors (id) ON DELETE SET NULL, price NUMERIC(10,2), "
         "UNIQUE (title));\nCREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);\n"
         "CREATE INDEX books_price ON books (price, title);\n"
         "CREATE VIEW cheap AS SELECT id, title FROM books WHERE price < 10;"),
        ("prefix_desc_fulltext_indexes", BASE,
         BASE + "CREATE INDEX books_title ON books (title(20) DESC, price);\n"
         "CREATE FULLTEXT INDEX books_words ON books (title);\n"
         "CREATE UNIQUE INDEX authors_name ON authors (name(50));"),
        ("mysql_column_kinds", BASE, books(
         ", kind ENUM('paper', 'ebook') NOT NULL DEFAULT 'paper', flags SET('a', 'b'), "
         "copies INT UNSIGNED DEFAULT 0, updated TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP "
         "ON UPDATE CURRENT_TIMESTAMP, cents BIGINT AS (price * 100) STORED, "
         "code VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_bin, "
         "slug VARCHAR(40) DEFAULT (lower(title))")),
        ("change_mysql_column_kinds",
         "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, kind ENUM('a', 'b'), n INT, "
         "s VARCHAR(10), at DATETIME);",
         "CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, kind ENUM('a', 'b', 'c'), "
         "n INT UNSIGNED NOT NULL DEFAULT 1, s VARCHAR(10) COLLATE utf8mb4_bin, "
         "at DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP);"),
        ("trigger_procedure_function", BASE,
         BASE + "CREATE TABLE log (msg TEXT);\n"
         "CREATE TRIGGER books_log AFTER INSERT ON books FOR EACH ROW BEGIN "
         "INSERT INTO log VALUES (NEW.title); INSERT INTO log VALUES ('again'); END;\n"
         "CREATE PROCEDURE trim_log(IN keep INT) BEGIN "
         "DELETE FROM log WHERE length(msg) > keep; END;\n"
         "CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;"),
        ("change_trigger_and_function",
         BASE + "CREATE TABLE log (msg TEXT);\n"
         "CREATE TRIGGER books_log AFTER INSERT ON books FOR EACH ROW "
         "INSERT INTO log VALUES (NEW.title);\n"
         "CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;",
         BASE + "CREATE TABLE log (msg TEXT);\n"
         "CREATE TRIGGER books_log AFTER INSERT ON books FOR EACH ROW "
         "INSERT INTO log VALUES (upper(NEW.title));\n"
         "CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x + x;"),
        ("table_engine", BASE + "CREATE TABLE kv (k VARCHAR(10) PRIMARY KEY, v TEXT);",
         BASE + "CREATE TABLE kv (k VARCHAR(10) PRIMARY KEY, v TEXT) ENGINE=MyISAM;"),
        ("named_foreign_key_dropped_with_its_index",
         BASE + "CREATE TABLE reviews (id INT PRIMARY KEY, book_id INT, "
         "CONSTRAINT reviews_book FOREIGN KEY (book_id) REFERENCES books (id));",
         BASE + "CREATE TABLE reviews (id INT PRIMARY KEY, book_id INT);"),
        # AUTO_INCREMENT needs its key in the same ALTER TABLE, both ways
        ("add_auto_increment_column", "CREATE TABLE t (v INT);",
         "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v INT);"),
        ("drop_auto_increment_key", "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v INT);",
         "CREATE TABLE t (id INT NOT NULL, v INT);"),
        # a foreign key's columns cannot change type under it: dropped first, added again last
        ("retype_foreign_key_columns",
         "CREATE TABLE p (id INT PRIMARY KEY);\n"
         "CREATE TABLE c (p INT, CONSTRAINT c_p FOREIGN KEY (p) REFERENCES p (id));",
         "CREATE TABLE p (id BIGINT PRIMARY KEY);\n"
         "CREATE TABLE c (p BIGINT, CONSTRAINT c_p FOREIGN KEY (p) REFERENCES p (id));"),
        # the index a foreign key uses is swapped for a unique one in the same statement
        ("foreign_key_index_becomes_unique",
         "CREATE TABLE p (id INT PRIMARY KEY);\n"
         "CREATE TABLE c (x INT, KEY cx (x), FOREIGN KEY (x) REFERENCES p (id));",
         "CREATE TABLE p (id INT PRIMARY KEY);\n"
         "CREATE TABLE c (x INT, UNIQUE KEY cx (x), FOREIGN KEY (x) REFERENCES p (id));"),
        ("drop_unique_key_a_foreign_key_uses",
         "CREATE TABLE p (id INT PRIMARY KEY, code INT UNIQUE);\n"
         "CREATE TABLE c (x INT, FOREIGN KEY (x) REFERENCES p (code));",
         "CREATE TABLE p (id INT PRIMARY KEY, code INT);\nCREATE TABLE c (x INT);"),
    ],
}  # fmt: skip

# Shared pairs that cannot apply to a database, and why.
SKIP = {
    "mysql": {
        "partial_index": "MySQL/MariaDB have no partial indexes (CREATE INDEX ... WHERE)",
        "expression_index": "MariaDB has no functional index key parts (MySQL 8.0.13+ has)",
        "multi_column_desc_index": "a TEXT key part needs a prefix length on MySQL/MariaDB "
        "(prefix_desc_fulltext_indexes covers DESC keys)",
        "composite_primary_key": "a TEXT column cannot be in a primary key on MySQL/MariaDB",
        "many_changes_at_once": "has a partial index (many_changes_at_once_without_partial_index "
        "is its MySQL twin)",
    },
}
