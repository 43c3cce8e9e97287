-- Nullable, so existing rows need no value.
ALTER TABLE books ADD COLUMN isbn VARCHAR(13);
