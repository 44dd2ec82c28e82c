"""``manage.py seed_members [--count N]``: replace the members with N predictable rows."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from demo.models import Member


def member_row(i: int) -> dict[str, Any]:
    """Member ``i`` (1-based), as ``GET /users`` returns it; bench/run.py expects the same."""
    return {
        "id": i,
        "name": f"Member {i:03d}",
        "email": f"member{i:03d}@example.com",
        "active": i % 3 != 0,
        "score": i + 0.25,
    }


class Command(BaseCommand):
    help = "Replace every Member with --count predictable rows (ids 1..N)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            Member.objects.all().delete()
            Member.objects.bulk_create(Member(**member_row(i)) for i in range(1, options["count"] + 1))
        self.stdout.write(f"{options['count']} members")
