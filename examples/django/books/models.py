"""Authors and their books: the schema sqlmig writes migrations for."""

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=200)
    age = models.PositiveIntegerField()


class Book(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    published_date = models.DateField()
