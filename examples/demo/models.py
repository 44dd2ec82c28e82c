"""The example's one model: members listed by ``GET /users`` (also the database benchmark's
table, which the peers in bench/peers read as ``demo_member``)."""

from django.db import models


class Member(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField(unique=True)
    active = models.BooleanField(default=True)
    score = models.FloatField(default=0.0)
