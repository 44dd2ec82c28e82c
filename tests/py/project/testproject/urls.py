"""ROOT_URLCONF of the test project: what the fallback to Django serves."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"django view {request.method} {request.get_full_path()}", content_type="text/plain")


def streamed(request: HttpRequest) -> StreamingHttpResponse:
    """docs/django.md: works through the fallback, collected and sent at once."""
    return StreamingHttpResponse((f"part{i}\n" for i in range(3)), content_type="text/plain")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("django/plain/", plain),
    path("django/streamed/", streamed),
]
