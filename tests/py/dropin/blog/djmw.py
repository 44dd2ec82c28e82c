"""A plain Django middleware (sync, function style) for the DjangoMiddleware tests."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


def stamp_middleware(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        if request.headers.get("X-Block") == "1":
            return HttpResponse("blocked by django middleware", status=403)
        response = get_response(request)
        response["X-Django-Stamp"] = request.path
        return response

    return middleware


class Tagger:
    """Class style with a constructor keyword (DjangoMiddleware passes **kwargs)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse], tag: str = "none") -> None:
        self.get_response = get_response
        self.tag = tag

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["X-Tag"] = self.tag
        return response
