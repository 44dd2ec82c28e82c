"""An API full of the types OpenAPI generators get wrong (tests/py/unit/test_openapi.py)."""

from __future__ import annotations

import dataclasses
import enum
from typing import Annotated, Generic, Literal, TypedDict, TypeVar

import msgspec
from pydantic import BaseModel, Field

from django_bolt import BoltAPI
from django_bolt.exceptions import Conflict, NotFound
from django_bolt.param_functions import Body, Cookie, Form, Header, Path, Query
from django_bolt.responses import HTML, FileResponse, PlainText, Redirect

T = TypeVar("T")
api = BoltAPI()


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Address(msgspec.Struct):
    street: str
    city: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]


class UserOut(msgspec.Struct, rename="camel"):
    user_id: int
    display_name: str
    address: Address
    color: Color = Color.RED


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: Annotated[int, msgspec.Meta(ge=0)]


class TreeNode(msgspec.Struct):
    name: str
    children: list[TreeNode] = []


class Tag(BaseModel):
    label: str = Field(max_length=20, pattern="^[a-z]+$", examples=["blue"])
    weight: float = Field(default=1.0, gt=0)


class Post(BaseModel):
    title: str
    tags: list[Tag] = []


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


class Options(TypedDict):
    verbose: bool


class Filters(msgspec.Struct):
    status: Literal["open", "closed"] = "open"
    ids: list[int] = []


class LoginForm(msgspec.Struct):
    username: str
    password: str


@api.get("/users", tags=["users"])
async def list_users(
    page: Annotated[int, Query(ge=1, description="page number")] = 1,
    color: Color | None = None,
    x_trace: str | None = Header(None),
    session: str = Cookie("anon"),
) -> Page[UserOut]:
    """List users.

    One page at a time."""
    return Page(items=[], total=0)


@api.get("/users/{user_id}", response_model={200: UserOut, 404: dict}, responses={404: NotFound})
async def get_user(user_id: Annotated[int, Path(gt=0)]):
    return {}


@api.get("/search", operation_id="search_things", deprecated=True)
async def search(filters: Annotated[Filters, Query()], kind: int | str = 0) -> list[int | str]:
    return []


@api.get("/tree")
async def tree() -> TreeNode:
    return TreeNode("root")


@api.post("/posts", status_code=201, responses={409: Conflict, 400: "bad post"})
async def create_post(post: Post) -> Post:
    return post


@api.post("/points")
async def points(point: Point, options: Options = Body(embed=True)) -> list[Point]:
    return [point]


@api.post("/login")
async def login(form: Annotated[LoginForm, Form()], remember: bool = Form(False)) -> dict[str, str]:
    return {}


@api.get("/page", include_in_schema=True)
async def html_page() -> HTML:
    return HTML("<p>hi</p>")


@api.get("/text")
async def text() -> PlainText:
    return PlainText("hi")


@api.get("/go")
async def go() -> Redirect:
    return Redirect("/page")


@api.get("/download")
async def download() -> FileResponse:
    return FileResponse("/etc/hostname")


@api.get("/hidden", include_in_schema=False)
async def hidden() -> dict[str, int]:
    return {}
