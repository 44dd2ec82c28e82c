"""The members table of the database benchmark, created and filled by bench/run.py through the
example project (examples/demo: `migrate`, `seed_members`); only read here."""

from django.db import models


class Member(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField(unique=True)
    active = models.BooleanField(default=True)
    score = models.FloatField(default=0.0)

    class Meta:
        managed = False
        db_table = "demo_member"
        app_label = "djbolt_bench"
