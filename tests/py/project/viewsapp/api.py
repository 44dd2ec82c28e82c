"""Class-based views, pagination and filtering over real models, for tests/py/e2e/test_views_db.py."""

from typing import Literal

import msgspec

from django_bolt import (
    BoltAPI,
    CursorPagination,
    FieldFilter,
    LimitOffsetPagination,
    ModelViewSet,
    OrderingFilter,
    PageNumberPagination,
    ReadOnlyModelViewSet,
    Request,
    SearchFilter,
    action,
    paginate,
)
from django_bolt.filtering import filter as filter_by

from .models import Article

api = BoltAPI(prefix="/v")


class ArticleOut(msgspec.Struct):
    id: int
    title: str
    status: str
    rating: int
    slug: str


class ArticleIn(msgspec.Struct):
    title: str
    slug: str
    body: str = ""
    status: Literal["draft", "published"] = "draft"
    rating: int = 0
    author_id: int | None = None


@api.viewset("/articles", tags=["articles"])
class ArticleViewSet(ModelViewSet):
    queryset = Article.objects.order_by("id")
    serializer_class = ArticleOut
    create_serializer_class = ArticleIn
    update_serializer_class = ArticleIn
    filter_backends = [FieldFilter, SearchFilter, OrderingFilter]
    filterset_fields = {"status": ["exact"], "rating": ["exact", "gte", "lte"], "author": ["exact", "isnull"]}
    search_fields = ["title", "body"]
    ordering_fields = ["rating", "title", "id"]

    @action(methods=["POST"], detail=True)
    async def publish(self, request: Request, pk: int) -> ArticleOut:
        article = await self.get_object(pk)
        article.status = "published"
        await article.asave(update_fields=["status"])
        return article  # type: ignore[no-any-return]

    @action(methods=["GET"], detail=False, path="published-count")
    async def published_count(self, request: Request) -> dict[str, int]:
        qs = await self.get_queryset()
        return {"count": await qs.filter(status="published").acount()}


class ThreePerPage(PageNumberPagination):
    page_size = 3
    max_page_size = 5


@api.viewset("/paged")
class PagedArticles(ReadOnlyModelViewSet):
    queryset = Article.objects.order_by("id")
    serializer_class = ArticleOut
    pagination_class = ThreePerPage


class DRFStyle(LimitOffsetPagination):
    page_size = 2
    envelope = "drf"


@api.viewset("/drf")
class DRFArticles(ReadOnlyModelViewSet):
    queryset = Article.objects.order_by("id")
    serializer_class = ArticleOut
    pagination_class = DRFStyle


@api.viewset("/by-slug")
class SlugArticles(ReadOnlyModelViewSet):
    queryset = Article.objects.all()
    serializer_class = ArticleOut
    lookup_field = "slug"


class TwoByID(CursorPagination):
    page_size = 2
    ordering = "id"


@api.get("/cursor")
@paginate(TwoByID)
async def cursor_articles(request: Request) -> list[ArticleOut]:
    return Article.objects.all()  # type: ignore[return-value]


@api.get("/fn-articles")
@paginate(LimitOffsetPagination)
@filter_by(fields={"status": ["exact"], "rating": ["gte"]}, search=["title"], ordering=["rating", "id"])
async def fn_articles(request: Request) -> list[ArticleOut]:
    return Article.objects.order_by("id")  # type: ignore[return-value]
