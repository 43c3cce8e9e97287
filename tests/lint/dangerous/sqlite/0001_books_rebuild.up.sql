ALTER TABLE books ALTER COLUMN title TYPE text;  -- expect: L601
ALTER TABLE books ADD COLUMN isbn text NOT NULL;  -- expect: D207
ALTER TABLE books DROP CONSTRAINT books_title_check;  -- expect: L601
BEGIN;  -- expect: X401
