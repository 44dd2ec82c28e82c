"""The Django bridge: what django_bolt borrows from Django at run time.

``prepare`` applies the Django integrations to the routes at start-up (the fallback to
Django's own URLs, static files, sessions, middleware, request signals); ``asgi`` runs an
ASGI app (Django's handler or a mounted one) for a request; ``scope`` builds ASGI scopes and
Django requests from ours; ``middleware`` runs ``settings.MIDDLEWARE`` around a handler;
``session`` provides ``request.session``, ``request.user`` and CSRF checks.
"""
