"""Promotion models: a coupon's URLs per channel and QR links, a merchant's own logo, and what a QR route
takes (sizes, channel)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from coupon_service.models.common import DEFERRED, Strict
from coupon_service.models.parameters import CHANNEL_PATTERN as CHANNEL_PATTERN
from coupon_service.models.parameters import LOGO_BODY_BYTES as LOGO_BODY_BYTES
from coupon_service.models.parameters import QR_SIZES_PATTERN as QR_SIZES_PATTERN
from coupon_service.qr import LOGO_MAX_BYTES


class ChannelLink(BaseModel):
    model_config = DEFERRED
    channel: str
    url: str = Field(description="The offer's URL for this channel: claims through it record the channel")
    qr_png_url: str


class Promotion(BaseModel):
    """How a merchant promotes a coupon: its plain URL and one per channel it defined, the QR code's sizes
    and logos, and the channel and logo last used (the defaults of the QR route)."""

    model_config = DEFERRED

    coupon_id: str
    url: str = Field(description="The plain URL: claims through it record the channel `other`")
    qr_png_url: str = Field(description="The QR code with the remembered channel and logo")
    qr_sizes: list[str]
    channels: list[ChannelLink] = Field(default_factory=list)
    logos: list[str] = Field(
        default_factory=list, description="What `logo` accepts: none, the common logos, custom if uploaded"
    )
    channel: str | None = Field(default=None, description="The channel last used (None: the plain URL)")
    logo: str = Field(default="none", description="The logo last used")


class LogoOut(BaseModel):
    model_config = DEFERRED
    coupon_id: str
    logo: Literal["custom"] = Field(description="The `logo` value that prints it")
    width: int = Field(description="Pixels, as stored after re-encoding")
    height: int


class LogoUpload(Strict):
    """A merchant's own logo for promotion QR codes."""

    image: str = Field(
        min_length=1,
        max_length=4 * -(-LOGO_MAX_BYTES // 3),  # base64 of LOGO_MAX_BYTES
        description=f"Base64 of a PNG or JPEG image of at most {LOGO_MAX_BYTES} bytes and 4096x4096 "
        "pixels; it is re-encoded (metadata removed, at most 256 pixels a side) before it is stored",
    )
