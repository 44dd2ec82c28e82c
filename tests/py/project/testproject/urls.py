"""ROOT_URLCONF of the test project: what the fallback to Django serves."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"django view {request.method} {request.get_full_path()}", content_type="text/plain")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("django/plain/", plain),
]
