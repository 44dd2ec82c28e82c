"""``Router``: a group of routes with a common prefix, tags, auth, guards, dependencies and
middleware (also importable as ``django_bolt.Router``)."""

from __future__ import annotations

from .api import Router

__all__ = ["Router"]
