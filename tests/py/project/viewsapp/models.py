"""Models the class-based view, pagination and filtering e2e tests (tests/py/e2e/test_views_db.py) use."""

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)


class Article(models.Model):
    STATUS_CHOICES = [("draft", "Draft"), ("published", "Published")]

    title = models.CharField(max_length=200)
    body = models.TextField(default="")
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default="draft")
    rating = models.IntegerField(default=0)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, null=True, related_name="articles")
    slug = models.SlugField(max_length=100, unique=True)


class Gadget(models.Model):
    """Columns whose values Django converts after reading (booleans and datetimes on SQLite,
    decimals, UUIDs): the compiled-SELECT path of ViewSets must read them as Django does."""

    uid = models.UUIDField(unique=True)
    name = models.CharField(max_length=50)
    active = models.BooleanField(default=True)
    price = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    made = models.DateTimeField()
