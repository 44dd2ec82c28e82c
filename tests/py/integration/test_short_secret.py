"""Short HS secrets (issue 18): refused at start-up unless Django's DEBUG is on, then accepted
with one loud warning, by Python and by Go's token check alike."""

from __future__ import annotations

import logging
import time

import jwt
import pytest

from django_bolt import BoltAPI, BoltConfigError
from django_bolt.auth import IsAuthenticated, JWTAuthentication, backends
from django_bolt.testing import TestClient

SHORT = "dev-secret"  # 10 bytes: what django-bolt projects often use while developing


def test_refused_without_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "short_secret_allowed", lambda: False)
    with pytest.raises(BoltConfigError, match="at least 32"):
        JWTAuthentication(secret=SHORT)


def test_accepted_with_debug_and_checked_by_go(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(backends, "short_secret_allowed", lambda: True)
    backends._warned_short.clear()
    with caplog.at_level(logging.WARNING, logger="django_bolt"):
        auth = JWTAuthentication(secret=SHORT)
    assert any("accepted only because DEBUG is on" in r.getMessage() for r in caplog.records)
    assert auth.to_metadata()["short_secret_ok"] is True

    api = BoltAPI()

    @api.get("/me", auth=[auth], guards=[IsAuthenticated()])
    async def me() -> dict[str, bool]:
        return {"ok": True}

    good = jwt.encode({"sub": "1", "exp": int(time.time()) + 60}, SHORT, algorithm="HS256")
    forged = jwt.encode({"sub": "1", "exp": int(time.time()) + 60}, "other-secret", algorithm="HS256")
    with TestClient(api) as client:
        assert client.get("/me", headers={"Authorization": f"Bearer {good}"}).json() == {"ok": True}
        assert client.get("/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
        assert client.get("/me").status_code == 401
