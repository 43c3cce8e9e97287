"""`python manage.py sqlmig`."""
