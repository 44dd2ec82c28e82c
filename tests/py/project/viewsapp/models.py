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
