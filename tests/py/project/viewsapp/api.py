"""Class-based views, pagination and filtering over real models, for tests/py/e2e/test_views_db.py."""

import datetime
import decimal
import uuid
from typing import Annotated, Any, Literal

import msgspec

from django_bolt import (
    BoltAPI,
    CursorPagination,
    FieldFilter,
    LimitOffsetPagination,
    ModelViewSet,
    OrderingFilter,
    ReadOnlyModelViewSet,
    Request,
    SearchFilter,
    action,
    paginate,
)
from django_bolt._runtime import orm_sql
from django_bolt.filtering import filter as filter_by
from django_bolt.serializers import (
    UNSET,
    Nested,
    Serializer,
    Slug,
    computed_field,
    create_serializer,
    create_serializer_set,
    field,
    field_validator,
    model_validator,
)

from .models import Article, Author, Gadget
from .paging import ThreePerPage

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


# ---- serializers ---------------------------------------------------------------------------


class AuthorOut(Serializer):
    id: int
    name: str


class ArticleSerializer(Serializer):
    id: int = field(read_only=True, default=0)
    title: str = field(description="the headline")
    slug: Slug
    body: str = field(write_only=True, default="")
    rating: int = 0
    author: Annotated[AuthorOut, Nested(AuthorOut)] | None = field(read_only=True, default=None)

    class Config:
        model = Article
        field_sets = {"brief": ["id", "title"]}

    @field_validator("title")
    def no_shouting(cls, value: str) -> str:
        if value.isupper():
            raise ValueError("title must not be all capitals")
        return value.strip()

    @field_validator("rating")
    def rating_range(cls, value: int) -> int:
        if not 0 <= value <= 10:
            raise ValueError("rating must be between 0 and 10")
        return value

    @model_validator()
    def slug_differs(self) -> None:
        # Also runs on PATCH bodies, where the fields not sent are UNSET.
        if self.slug is not UNSET and self.slug == self.title:
            raise ValueError("slug and title must differ")

    @computed_field
    def headline(self) -> str:
        return f"{self.title} ({self.rating})"


@api.viewset("/ser-articles")
class SerializedArticles(ModelViewSet):
    queryset = Article.objects.select_related("author").order_by("id")
    serializer_class = ArticleSerializer


@api.post("/ser-echo")
async def ser_echo(data: ArticleSerializer) -> ArticleSerializer:
    return data


ArticleGenerated = create_serializer(Article, exclude=["body"])


@api.get("/generated")
async def generated(request: Request) -> list[ArticleGenerated]:  # type: ignore[valid-type]
    return Article.objects.order_by("id")  # type: ignore[return-value]


@api.post("/authors")
async def make_author(name: str) -> dict[str, int]:
    author = await Author.objects.acreate(name=name)
    return {"id": author.pk}


@api.get("/brief")
async def brief(request: Request) -> list[dict[str, object]]:
    rows = [a async for a in Article.objects.order_by("id")[:2]]
    return ArticleSerializer.use("brief").dump_many(rows)


@api.viewset("/ser-lazy")
class LazyAuthors(ReadOnlyModelViewSet):
    """The same serializer without select_related: the N+1 guard's case."""

    queryset = Article.objects.order_by("id")
    serializer_class = ArticleSerializer


@api.viewset("/default-paged")
class DefaultPaged(ReadOnlyModelViewSet):
    """No pagination_class: BOLT_DEFAULT_PAGINATION_CLASS applies when set."""

    queryset = Article.objects.order_by("id")
    serializer_class = ArticleOut


ArticleCreate, ArticleUpdate, ArticlePublic = create_serializer_set(
    Article,
    create_fields=["title", "slug", "status", "author"],
    update_fields=["title", "rating", "status"],
    public_fields=["id", "title", "slug", "status", "rating", "author"],
)


@api.viewset("/set-articles")
class GeneratedSetArticles(ModelViewSet):
    """Bodies and responses from create_serializer_set."""

    queryset = Article.objects.order_by("id")
    serializer_class = ArticlePublic
    create_serializer_class = ArticleCreate
    update_serializer_class = ArticleUpdate


@api.viewset("/ser-paged")
class SerializedPaged(ReadOnlyModelViewSet):
    """A Serializer with computed and nested fields as the item type of a page."""

    queryset = Article.objects.select_related("author").order_by("id")
    serializer_class = ArticleSerializer
    pagination_class = ThreePerPage


# ---- the compiled SELECT of ViewSets (django_bolt/_runtime/orm_sql.py) ------------------------


class GadgetOut(msgspec.Struct):
    id: int
    uid: uuid.UUID
    name: str
    active: bool
    price: decimal.Decimal
    made: datetime.datetime


class GadgetIn(msgspec.Struct):
    uid: uuid.UUID
    name: str
    made: datetime.datetime
    active: bool = True
    price: decimal.Decimal = decimal.Decimal(0)


@api.viewset("/gadgets")
class Gadgets(ModelViewSet):
    queryset = Gadget.objects.order_by("id")
    serializer_class = GadgetOut
    create_serializer_class = GadgetIn


@api.viewset("/gadgets-by-uid")
class GadgetsByUid(ReadOnlyModelViewSet):
    queryset = Gadget.objects.order_by("id")
    serializer_class = GadgetOut
    lookup_field = "uid"


@api.viewset("/active-gadgets")
class ActiveGadgets(ReadOnlyModelViewSet):
    """get_queryset chains a filter on the class queryset: its WHERE compiled per request."""

    queryset = Gadget.objects.order_by("id")
    serializer_class = GadgetOut

    async def get_queryset(self) -> Any:
        queryset = await super().get_queryset()
        return queryset.filter(active=True)


@api.viewset("/no-gadgets")
class NoGadgets(ReadOnlyModelViewSet):
    queryset = Gadget.objects.none()
    serializer_class = GadgetOut


@api.get("/fn-gadgets")
async def fn_gadgets() -> list[GadgetOut]:
    """The same rows through Django's own path (a function route): the reference."""
    return Gadget.objects.order_by("id")  # type: ignore[return-value]


@api.get("/fn-gadgets/{pk}")
async def fn_gadget(pk: int) -> list[GadgetOut]:
    return Gadget.objects.filter(pk=pk)  # type: ignore[return-value]


# ---- ViewSet querysets narrowed per request: the WHERE compiled per request, the rest of the
# plan kept (django_bolt/_runtime/orm_sql.py)


@api.viewset("/filtered-gadgets")
class FilteredGadgets(ReadOnlyModelViewSet):
    queryset = Gadget.objects.order_by("id")
    serializer_class = GadgetOut
    filter_backends = [FieldFilter]
    filterset_fields = ["active", "name"]


@api.viewset("/filtered-gadget-pages")
class FilteredGadgetPages(FilteredGadgets):
    pagination_class = ThreePerPage


@api.viewset("/my-gadgets")
class MyGadgets(ReadOnlyModelViewSet):
    """Scoped to the caller (the X-User header stands in for request.user): the gadgets named
    ``<user>-...``. A filter whose shape is fixed and whose value is per request."""

    queryset = Gadget.objects.order_by("id")
    serializer_class = GadgetOut
    pagination_class = ThreePerPage

    async def get_queryset(self) -> Any:
        queryset = await super().get_queryset()
        return queryset.filter(name__startswith=f"{self.request.headers.get('x-user', '')}-")


@api.viewset("/instance-gadgets")
class InstanceGadgets(ReadOnlyModelViewSet):
    """``queryset`` assigned on the instance: a new query each request, never a template."""

    serializer_class = GadgetOut

    async def get_queryset(self) -> Any:
        self.queryset = Gadget.objects.order_by("id")
        return await super().get_queryset()


@api.get("/django-gadgets")
async def django_gadgets(active: str = "", name: str = "", prefix: str = "", start: int = 0, stop: int = 0) -> Any:
    """The reference: the same QuerySets iterated by Django itself in the handler."""
    qs = Gadget.objects.order_by("id")
    if active:
        qs = qs.filter(active=active == "True")
    if name:
        qs = qs.filter(name=name)
    if prefix:
        qs = qs.filter(name__startswith=f"{prefix}-")
    values = qs.values(*GadgetOut.__struct_fields__)
    if stop:
        values = values[start:stop]
    rows = [row async for row in values]
    return {"count": await qs.acount(), "rows": msgspec.convert(rows, list[GadgetOut])}


@api.get("/sql-plans")
async def sql_plans() -> dict[str, int]:
    """How many shapes have a kept plan and how many class-queryset templates exist (both are
    kept per ORM thread: the key's last part)."""
    plans = {key[:-1] for key, plan in orm_sql._plans.items() if plan is not None}
    templates = {key[:-1] for key, template in orm_sql._templates.items() if template is not None}
    return {"plans": len(plans), "templates": len(templates)}


# ---- serializer options through a real server ---------------------------------------------


class TagIn(Serializer):
    name: str


class PostIn(Serializer):
    title: str
    count: int = 0
    tags: Annotated[list[TagIn], Nested(TagIn, many=True, max_items=2)] = field(default_factory=list)
    note: str = field(default="", include_in_schema=False)

    @field_validator("count", mode="before")
    def count_from_text(cls, value: Any) -> Any:
        # before: the raw JSON value, which may be a string like " 7 "
        return int(value.strip()) if isinstance(value, str) else value

    @field_validator("title", mode="before")
    def title_is_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("title must be text")
        return value.strip()


@api.post("/ser-post")
async def ser_post(data: PostIn) -> PostIn:
    return data
