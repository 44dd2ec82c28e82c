"""URL patterns for the API routes, so that Django's ``reverse()`` (and ``{% url %}``)
resolve them, as with django-bolt 0.9+::

    # urls.py
    urlpatterns = [path("", include("django_bolt.urls")), ...]

    reverse("get_item", kwargs={"item_id": 5})       # "/items/5"

Each route is named by ``name=`` on its decorator (its function's name otherwise). The
patterns only name the paths: Go answers the requests before Django is asked, so their view
is never reached for a served method (it answers 404 otherwise).
"""

from __future__ import annotations

from ._django.urls import bolt_urlpatterns

__all__ = ["bolt_urlpatterns", "urlpatterns"]

urlpatterns = bolt_urlpatterns()
