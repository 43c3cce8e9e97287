"""The example Django project: a bookshop whose schema sqlmig migrates."""
