"""Every model feature whose SQL test_from_django.py checks, on one table and its neighbours."""

import django
from django.db import models
from django.db.models import Q

CHECK = "condition" if django.VERSION >= (5, 1) else "check"  # 5.1 renamed the argument


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)


class Item(models.Model):
    kind = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT)
    parent = models.ForeignKey("self", null=True, on_delete=models.SET_NULL)
    title = models.CharField(max_length=100, db_index=True)
    code = models.CharField(max_length=20)
    status = models.CharField(max_length=10, db_default="draft")
    price = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    stock = models.IntegerField(default=0)
    tags = models.ManyToManyField(Tag)

    class Meta:
        unique_together = (("code", "kind"),)
        indexes = (models.Index(fields=["code", "-title"], name="shelf_item_code_idx"),)
        constraints = (
            models.UniqueConstraint(fields=["title", "code"], name="shelf_item_title_code_uniq"),
            models.CheckConstraint(name="shelf_item_price_check", **{CHECK: Q(price__gte=0)}),
        )
