"""The Django app that gives a project `python manage.py sqlmig ...`."""

from django.apps import AppConfig


class SqlmigConfig(AppConfig):
    name = "sqlmig.django"
    label = "sqlmig"
    verbose_name = "sqlmig"
