"""The bookshop's one app: authors and their books."""
