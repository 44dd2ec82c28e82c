"""A sync-only middleware (adapted by Django's machinery) that stamps responses, so tests
can see which requests went through settings.MIDDLEWARE."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class StampMiddleware:
    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META["HTTP_X_STAMPED"] = "yes"
        response = self.get_response(request)
        response["X-Stamp"] = "sync-middleware"
        return response
