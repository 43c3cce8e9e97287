CREATE TABLE tags (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE account_tags (account_id bigint NOT NULL, tag_id bigint NOT NULL);
