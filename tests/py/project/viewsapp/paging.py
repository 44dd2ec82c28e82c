"""Pagination classes of the test app (a module of their own: BOLT_DEFAULT_PAGINATION_CLASS
names one, and it is imported while api.py is being loaded)."""

from django_bolt import PageNumberPagination


class ThreePerPage(PageNumberPagination):
    page_size = 3
    max_page_size = 5
