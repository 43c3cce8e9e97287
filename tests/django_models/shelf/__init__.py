"""A test app whose models use what --from-django must carry into the SQL."""
