"""Constrained field types for serializers and handler parameters (django-bolt's names).

Each is an ``Annotated`` msgspec type: the limits are checked when a body is decoded and
appear in the OpenAPI schema. ``from django_bolt.serializers import Email, PositiveInt``.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from msgspec import Meta

__all__ = [
    "URL", "UUID", "BigInt", "Char50", "Char100", "Char150", "Char200", "Char255", "Char500", "Char1000",
    "CountryCode", "CurrencyCode", "Email", "FilePath", "Float", "HexColor", "HttpStatus", "HttpsURL", "IP", "IPv4",
    "IPv6", "Int", "LanguageCode", "Latitude", "Longitude", "NonEmptyStr", "NonNegativeInt", "Password",
    "Percentage", "Phone", "Port", "PositiveBigInt", "PositiveFloat", "PositiveInt", "PositiveSmallInt", "Rating",
    "Rating10", "Slug", "Slug100", "Slug200", "SmallInt", "Text", "Timezone", "Username",
]  # fmt: skip

_IPV4 = r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
_IPV6 = r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*"

Char50 = Annotated[str, Meta(max_length=50)]
Char100 = Annotated[str, Meta(max_length=100)]
Char150 = Annotated[str, Meta(max_length=150)]
Char200 = Annotated[str, Meta(max_length=200)]
Char255 = Annotated[str, Meta(max_length=255)]
Char500 = Annotated[str, Meta(max_length=500)]
Char1000 = Annotated[str, Meta(max_length=1000)]
Text = str
NonEmptyStr = Annotated[str, Meta(min_length=1)]

Email = Annotated[str, Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="an e-mail address")]
URL = Annotated[str, Meta(max_length=2048, pattern=r"^https?://[^\s/$.?#][^\s]*$", description="an http(s) URL")]
HttpsURL = Annotated[str, Meta(max_length=2048, pattern=r"^https://[^\s/$.?#][^\s]*$", description="an https URL")]
Slug = Annotated[str, Meta(max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
Slug100 = Annotated[str, Meta(max_length=100, pattern=r"^[-a-zA-Z0-9_]+$")]
Slug200 = Annotated[str, Meta(max_length=200, pattern=r"^[-a-zA-Z0-9_]+$")]
UUID = uuid.UUID
FilePath = Annotated[str, Meta(max_length=4096, min_length=1)]
Username = Annotated[str, Meta(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")]
Password = Annotated[str, Meta(min_length=8, max_length=128)]
Phone = Annotated[str, Meta(pattern=r"^\+?[0-9 ()-]{7,20}$")]
HexColor = Annotated[str, Meta(pattern=r"^#(?:[0-9a-fA-F]{3}){1,2}$")]
CurrencyCode = Annotated[str, Meta(pattern=r"^[A-Z]{3}$")]
CountryCode = Annotated[str, Meta(pattern=r"^[A-Z]{2}$")]
LanguageCode = Annotated[str, Meta(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
Timezone = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$")]
IPv4 = Annotated[str, Meta(pattern=f"^{_IPV4}$")]
IPv6 = Annotated[str, Meta(pattern=f"^{_IPV6}$")]
IP = Annotated[str, Meta(pattern=f"^(({_IPV4})|({_IPV6}))$")]

SmallInt = Annotated[int, Meta(ge=-32768, le=32767)]
Int = Annotated[int, Meta(ge=-(2**31), le=2**31 - 1)]
BigInt = Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)]
PositiveSmallInt = Annotated[int, Meta(ge=0, le=32767)]
PositiveInt = Annotated[int, Meta(gt=0, le=2**31 - 1)]
PositiveBigInt = Annotated[int, Meta(gt=0, le=2**63 - 1)]
NonNegativeInt = Annotated[int, Meta(ge=0)]
Port = Annotated[int, Meta(ge=1, le=65535)]
HttpStatus = Annotated[int, Meta(ge=100, le=599)]
Float = float
PositiveFloat = Annotated[float, Meta(gt=0)]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
Percentage = Annotated[float, Meta(ge=0, le=100)]
Rating = Annotated[int, Meta(ge=1, le=5)]
Rating10 = Annotated[int, Meta(ge=1, le=10)]
