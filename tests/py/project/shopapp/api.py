"""Database routes for tests/py/e2e/test_database.py: CRUD through the async ORM, QuerySet and
model returns, and the mistakes the server must survive."""

import asyncio
import threading
import time
from typing import Any

import msgspec
from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.db import connection
from django.db.models import F, Q
from django.http import Http404

from django_bolt import BoltAPI, HTTPException
from django_bolt._runtime import orm_sql
from django_bolt.shortcuts import aget_list_or_404, aget_object_or_404

from .models import Order, Product

api = BoltAPI(prefix="/shop")


class ProductIn(msgspec.Struct):
    name: str
    price: int
    stock: int = 0


class ProductOut(msgspec.Struct):
    id: int
    name: str
    price: int


class ProductPatch(msgspec.Struct, omit_defaults=True):
    price: int | None = None
    stock: int | None = None


class OrderIn(msgspec.Struct):
    product_id: int
    quantity: int


class OrderOut(msgspec.Struct):
    id: int
    product_id: int
    quantity: int


class OrderDetail(msgspec.Struct):
    id: int
    quantity: int
    product: ProductOut  # a related object: read from the instances, not projected


@api.post("/products", status_code=201)
async def create_product(body: ProductIn):
    return await Product.objects.acreate(name=body.name, price=body.price, stock=body.stock)


@api.get("/products", response_model=list[ProductOut])
async def list_products(min_price: int = 0):
    return Product.objects.filter(price__gte=min_price).order_by("id")


@api.get("/products/raw")
async def list_products_raw():
    return Product.objects.order_by("id")


@api.get("/products/names")
async def product_names():
    return Product.objects.order_by("id").values_list("name", flat=True)


@api.get("/products/count")
async def count_products():
    return {"count": await Product.objects.acount()}


@api.get("/products/stream")
async def stream_names():
    return {"names": [p.name async for p in Product.objects.order_by("id")]}


@api.get("/products/{product_id}", response_model=ProductOut)
async def get_product(product_id: int):
    try:
        return await Product.objects.aget(pk=product_id)
    except Product.DoesNotExist:
        raise HTTPException(404, f"product {product_id} not found") from None


@api.get("/products/{product_id}/full")
async def get_product_full(product_id: int):
    return await Product.objects.aget(pk=product_id)


@api.patch("/products/{product_id}", response_model=ProductOut)
async def update_product(product_id: int, body: ProductPatch):
    changes = msgspec.structs.asdict(body)
    if not await Product.objects.filter(pk=product_id).aupdate(**{k: v for k, v in changes.items() if v is not None}):
        raise HTTPException(404, f"product {product_id} not found")
    return await Product.objects.aget(pk=product_id)


@api.delete("/products/{product_id}")
async def delete_product(product_id: int):
    deleted, _ = await Product.objects.filter(pk=product_id).adelete()
    if not deleted:
        raise HTTPException(404, f"product {product_id} not found")
    return {"deleted": product_id}


@api.post("/orders", status_code=201, response_model=OrderOut)
async def create_order(body: OrderIn):
    if not await Product.objects.filter(pk=body.product_id).aexists():
        raise HTTPException(422, f"product {body.product_id} does not exist")
    return await Order.objects.acreate(product_id=body.product_id, quantity=body.quantity)


@api.get("/orders", response_model=list[OrderOut])
async def list_orders():
    return Order.objects.order_by("id")


@api.get("/orders/detail", response_model=list[OrderDetail])
async def list_order_details():
    return Order.objects.order_by("id")


@api.get("/sync-misuse")
async def sync_misuse():
    return {"n": Product.objects.count()}  # the mistake: a synchronous query on the event loop


def _hold_connection(seconds: float) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        time.sleep(seconds)  # a slow query, without a database-specific sleep function
        return int(cursor.fetchone()[0])


@api.get("/slow")
async def slow(seconds: float = 0.3):
    return {"ok": await sync_to_async(_hold_connection)(seconds)}


# Four ORM calls can only all pass this point together if they run on four threads at once.
_four_at_once = threading.Barrier(4, timeout=2.5)


def _meet() -> str:
    _four_at_once.wait()
    return threading.current_thread().name


@api.get("/orm-thread")
async def orm_thread():
    """Which thread Django's thread-sensitive calls (the async ORM's) run on."""
    return {"thread": await sync_to_async(_meet)()}


def _mark_connection(tag: str) -> str:
    """State one ORM call leaves for the next: on the thread's connection (a PostgreSQL
    session setting, or an attribute of the SQLite connection wrapper)."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT set_config('application_name', %s, false)", [tag])
    else:
        connection.bolt_tag = tag  # type: ignore[attr-defined]
    return threading.current_thread().name


def _read_mark() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SHOW application_name")
            return str(cur.fetchone()[0])
    return str(getattr(connection, "bolt_tag", ""))


@api.get("/conn-state/{tag}")
async def conn_state(tag: str) -> dict[str, str]:
    """Issue 15: two ORM calls of one request share the thread and connection (Django's
    ASGI handler gives each request one thread), whatever other requests run between them."""
    thread = await sync_to_async(_mark_connection)(tag)
    await asyncio.sleep(0.002)  # other requests' calls run meanwhile
    seen = await sync_to_async(_read_mark)()
    return {"tag": tag, "seen": seen, "thread": thread, "thread2": await sync_to_async(_thread_name)()}


def _thread_name() -> str:
    return threading.current_thread().name


# ---- Django's exceptions mean their HTTP status (tests/py/e2e/test_django_exceptions.py) ----


@api.get("/django-errors/missing/{product_id}")
async def missing_product(product_id: int):
    product = await Product.objects.aget(pk=product_id)  # no try: DoesNotExist is a 404
    return {"id": product.id}


@api.get("/django-errors/shortcut/{product_id}")
async def shortcut_product(product_id: int):
    product = await aget_object_or_404(Product, pk=product_id)
    return {"id": product.id, "name": product.name}


@api.get("/django-errors/list")
async def shortcut_list(min_price: int):
    products = await aget_list_or_404(Product.objects.order_by("id"), price__gte=min_price)
    return [p.name for p in products]


@api.get("/django-errors/http404")
async def raise_http404():
    raise Http404("secret lookup detail")


@api.get("/django-errors/forbidden")
async def raise_permission_denied(reason: str = ""):
    raise PermissionDenied(reason) if reason else PermissionDenied


@api.post("/django-errors/validate")
async def validate_product(body: ProductIn):
    product = Product(name=body.name, price=body.price, stock=body.stock)
    await sync_to_async(product.full_clean)()  # raises ValidationError with a dict of errors
    return {"ok": True}


@api.get("/django-errors/invalid")
async def raise_plain_validation_error():
    raise ValidationError(["first problem", "second problem"])


@api.get("/django-errors/suspicious")
async def raise_suspicious():
    raise SuspiciousOperation("attacker-controlled detail")


# ---- returned QuerySets of many shapes: the compiled-SQL cache (django_bolt/_runtime/orm_sql.py)


def _shaped(shape: str, a: int, b: int, names: str, order: str, start: int, stop: int) -> Any:
    """The QuerySet of one shape: the same arguments give the same query."""
    qs = Product.objects.all()
    if shape == "range":
        qs = qs.filter(price__gte=a, price__lt=b)
    elif shape == "in":
        qs = qs.filter(name__in=names.split(","))  # another length: another SQL
    elif shape == "or":
        qs = qs.filter(Q(price=a) | Q(stock=b))
    elif shape == "not":
        qs = qs.exclude(price__gte=a)
    elif shape == "null":
        qs = qs.filter(name__startswith=names) if names else qs.filter(name__isnull=True)
    elif shape == "none":
        qs = qs.none()
    elif shape == "empty-in":
        qs = qs.filter(name__in=[])
    elif shape == "join":  # not cached: a join
        qs = qs.filter(orders__quantity__gte=a).distinct()
    elif shape == "annotated":  # not cached: an annotation
        qs = qs.annotate(doubled=F("price") * 2).filter(doubled__gte=a)
    if order:
        qs = qs.order_by(*order.split(","))
    if stop:
        qs = qs[start:stop]
    elif start:
        qs = qs[start:]
    return qs


@api.get("/shaped", response_model=list[ProductOut])
async def shaped(
    shape: str = "", a: int = 0, b: int = 0, names: str = "", order: str = "", start: int = 0, stop: int = 0
):
    """Returned: evaluated on the ORM threads (with a cached plan when the shape allows)."""
    return _shaped(shape, a, b, names, order, start, stop)


@api.get("/shaped/django")
async def shaped_by_django(
    shape: str = "", a: int = 0, b: int = 0, names: str = "", order: str = "", start: int = 0, stop: int = 0
):
    """The same rows as Django's own iteration gives them."""
    qs = _shaped(shape, a, b, names, order, start, stop).values("id", "name", "price")
    return [row async for row in qs]


@api.get("/shaped/plans")
async def shaped_plans():
    """How many shapes have a plan (kept SQL) and how many were left to Django (plans are
    kept per ORM thread: the key's last part)."""
    kept = {key[:-1] for key, plan in orm_sql._plans.items() if plan is not None}
    refused = {key[:-1] for key, plan in orm_sql._plans.items() if plan is None}
    return {"kept": len(kept), "refused": len(refused)}
