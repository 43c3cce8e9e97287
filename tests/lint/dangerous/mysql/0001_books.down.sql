DROP TABLE pages;
DROP TABLE books;  -- expect: M501
DROP TABLE authors;
