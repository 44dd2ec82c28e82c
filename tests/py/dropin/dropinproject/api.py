"""A project-level api.py (django-bolt finds <project>/api.py through ROOT_URLCONF)."""

from django_bolt import BoltAPI
from django_bolt.admin import detect_admin_url_prefix, get_static_url_prefix
from django_bolt.auth import InMemoryRevocation, IsAuthenticated, JWTAuthentication
from django_bolt.auth.jwt_utils import create_jwt_for_user, extract_user_id_from_context
from django_bolt.auth.tokens import TokenRotationError, create_token_pair, rotate_refresh_token
from django_bolt.exceptions import HTTPException

api = BoltAPI()


@api.get("/project-level")
async def project_level() -> dict:
    return {"where": "project"}


# django-bolt 0.10+'s token pairs and its jwt_utils / admin modules, as its docs show them.
refresh_store = InMemoryRevocation()


class _User:
    pk = id = 21
    is_staff = is_superuser = False
    username = "dropin"

    def get_username(self) -> str:
        return self.username


@api.post("/dropin-auth/login")
async def dropin_login() -> dict:
    pair = create_token_pair(_User())
    return {"access": pair.access_token, "refresh": pair.refresh_token, "legacy": create_jwt_for_user(_User())}


@api.post("/dropin-auth/refresh", auth=[JWTAuthentication(token_type="refresh")], guards=[IsAuthenticated()])
async def dropin_refresh(request) -> dict:
    try:
        pair = await rotate_refresh_token(request.context["auth_claims"], store=refresh_store)
    except TokenRotationError:
        raise HTTPException(status_code=401, detail="Invalid token") from None
    return {"access": pair.access_token, "refresh": pair.refresh_token}


@api.get("/dropin-auth/me", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
async def dropin_me(request) -> dict:
    return {"user_id": extract_user_id_from_context(request)}


@api.get("/dropin-admin")
async def dropin_admin() -> dict:
    return {"admin": detect_admin_url_prefix(), "static": get_static_url_prefix()}
