"""The README's settings table, generated from django_bolt/conf.py (one row per key of
``BoltSettings`` but the internal ones: its default as written and its ``#:`` comment).

    python tools/settings_table.py          # exit 1 when README.md is out of date
    python tools/settings_table.py --write  # rewrite the table in README.md (make settings-table)

tests/py/unit/test_settings_table.py runs the check.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONF = REPO / "django_bolt" / "conf.py"
README = REPO / "README.md"
BEGIN, END = "<!-- settings-table:begin (tools/settings_table.py) -->", "<!-- settings-table:end -->"


def _internal_and_env() -> tuple[set[str], dict[str, str]]:
    sys.path.insert(0, str(REPO))
    from django_bolt.conf import ENV_OVERRIDES, INTERNAL_KEYS  # noqa: PLC0415 - the checkout's, once on sys.path

    return set(INTERNAL_KEYS), dict(ENV_OVERRIDES)


def rows() -> list[tuple[str, str, str]]:
    """(key, default, meaning) of every public key, in conf.py's order."""
    source = CONF.read_text()
    lines = source.splitlines()
    internal, env = _internal_and_env()
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "BoltSettings")
    out = []
    for node in cls.body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            continue
        key = node.target.id
        if key in internal:
            continue
        comment: list[str] = []
        i = node.lineno - 2
        while i >= 0 and lines[i].strip().startswith("#:"):
            comment.insert(0, lines[i].strip()[2:].strip())
            i -= 1
        if not comment:
            raise SystemExit(f"conf.py: {key} has no `#:` comment; every key is documented there")
        default = ast.get_source_segment(source, node.value) if node.value is not None else "required"
        meaning = " ".join(comment).replace("``", "`").replace("|", "\\|")
        if key in env:
            meaning += f" Environment: `{env[key]}`."
        out.append((key, f"`{default}`", meaning))
    return out


def table() -> str:
    body = ["| key | default | meaning |", "|---|---|---|"]
    body += [f"| `{key}` | {default} | {meaning} |" for key, default, meaning in rows()]
    return "\n".join([BEGIN, *body, END])


def current() -> str:
    text = README.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[start:end]


def main() -> int:
    if "--write" in sys.argv:
        text = README.read_text()
        README.write_text(text.replace(current(), table()))
        return 0
    if current() != table():
        print("README.md's settings table is out of date: run `make settings-table`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
