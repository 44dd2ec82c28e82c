"""DRF peer: `gunicorn djpeers.wsgi:application` (gthread) with PEER=drf; DRF views are sync."""

from django.urls import path
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from djpeers.models import Member


class Hello(APIView):
    def get(self, request):
        return Response({"message": "Hello, World!"})


class Users(APIView):
    def get(self, request):
        rows = Member.objects.order_by("id").values("id", "name", "email", "active", "score")[:10]
        return Response(list(rows))


# issue 19: DRF's ModelViewSet over the first ten members (list and retrieve).
class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = ["id", "name", "email", "active", "score"]


class MemberViewSet(viewsets.ModelViewSet):
    queryset = Member.objects.filter(id__lte=10).order_by("id")
    serializer_class = MemberSerializer


router = SimpleRouter(trailing_slash=False)
router.register("vs/members", MemberViewSet)

urlpatterns = [path("hello", Hello.as_view()), path("users", Users.as_view()), *router.urls]
