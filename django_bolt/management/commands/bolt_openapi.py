"""``python manage.py bolt_openapi [--output FILE] [--yaml] [--check]``: write the OpenAPI
document of the project's APIs; ``--check`` validates it against the OpenAPI 3.1 schema
(openapi-spec-validator) and fails on untyped objects where a type was declared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_bolt._server.discovery import collect_routes, discover_apis
from django_bolt.conf import load_settings
from django_bolt.exceptions import BoltConfigError
from django_bolt.openapi import build_document, resolve_config, untyped_objects
from django_bolt.openapi._yaml import dump as yaml_dump


class Command(BaseCommand):
    help = "Write the OpenAPI 3.1 document of the project's django-bolt APIs; --check validates it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
        parser.add_argument("--yaml", action="store_true", help="write YAML instead of JSON")
        parser.add_argument(
            "--check",
            action="store_true",
            help="validate against the OpenAPI 3.1 schema and fail on untyped {'type': 'object'} schemas",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            bolt = load_settings()
            apis = discover_apis(bolt.API)
            doc = build_document(collect_routes(apis, bolt.READY_PATH), resolve_config(apis))
        except BoltConfigError as exc:
            raise CommandError(str(exc)) from exc
        text = yaml_dump(doc) if options["yaml"] else json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
        if options["check"]:
            self._check(doc)

    def _check(self, doc: dict[str, Any]) -> None:
        try:
            # Optional dependency (the openapi extra), only for --check.
            from openapi_spec_validator import validate  # noqa: PLC0415
            from openapi_spec_validator.validation.exceptions import OpenAPIValidationError  # noqa: PLC0415
        except ImportError as exc:
            raise CommandError("--check needs openapi-spec-validator: pip install 'django-bolt-go[openapi]'") from exc
        try:
            validate(doc)
        except OpenAPIValidationError as exc:
            raise CommandError(f"the document is not valid OpenAPI 3.1: {exc.message}") from exc
        if untyped := untyped_objects(doc):
            raise CommandError(
                "strict mode: untyped {'type': 'object'} schemas (declare the fields with a model, or "
                "dict[str, X]):\n  " + "\n  ".join(untyped)
            )
        self.stderr.write("OpenAPI document is valid (OpenAPI 3.1, strict mode)")
