"""Tests of `sqlmig diff --from-django` and `python manage.py sqlmig` (sqlmig.django)."""
