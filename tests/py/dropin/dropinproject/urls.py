from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"django says hi at {request.path_info}")


urlpatterns = [path("hello", hello), path("full/hello", hello), path("", include("django_bolt.urls"))]
