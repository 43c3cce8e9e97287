"""Django: `sqlmig diff --from-django APP` and `python manage.py sqlmig` (INSTALLED_APPS gets
"sqlmig.django"); nothing here is imported by the other commands."""
