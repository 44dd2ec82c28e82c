"""DRF peer: `gunicorn djpeers.wsgi:application` (gthread) with PEER=drf; DRF views are sync."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from djpeers.models import Member


class Hello(APIView):
    def get(self, request):
        return Response({"message": "Hello, World!"})


class Users(APIView):
    def get(self, request):
        rows = Member.objects.order_by("id").values("id", "name", "email", "active", "score")[:10]
        return Response(list(rows))


urlpatterns = [path("hello", Hello.as_view()), path("users", Users.as_view())]
