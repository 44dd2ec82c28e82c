#!/usr/bin/env python
"""Django entry point for the django-bolt (PyPI) peer: `python manage.py runbolt ...`."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djbolt_bench.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
