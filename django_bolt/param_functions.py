"""The parameter markers under the name django-bolt and FastAPI users import them from."""

from .params import Body, Cookie, Depends, File, Form, Header, Path, Query

__all__ = ["Body", "Cookie", "Depends", "File", "Form", "Header", "Path", "Query"]
