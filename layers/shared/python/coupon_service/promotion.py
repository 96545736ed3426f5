"""Promotion as the coupon console does it: the offer's URL per channel the coupon defines (and the plain
one), its QR codes in one or several print sizes at once (a ZIP), with a common logo or the merchant's own,
and the channel and logo last used remembered as the defaults of the next request."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import quote

from coupon_service import qr
from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Invalid, PayloadTooLarge
from coupon_service.models.promotion import ChannelLink, LogoOut, LogoUpload, Promotion
from coupon_service.store.promotion import PromotionRead, PromotionStore
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

NO_LOGO, CUSTOM = "none", "custom"
_LEGACY_LOGO = {"true": CUSTOM, "false": NO_LOGO}  # `logo=true|false` from before logos had names


@dataclass(frozen=True)
class Choice:
    channel: str | None  # None: the plain URL
    logo: str


@dataclass(frozen=True)
class QrDownload:
    body: bytes
    media_type: str  # image/png for one size, application/zip for several
    filename: str


def offer_url(web_url: str, coupon_id: str, channel: str | None = None) -> str:
    """The offer page customers open (the web app's, under /c/), with the channel it was shared on."""
    url = f"{web_url}/c/offers/{coupon_id}"
    return f"{url}?channel={quote(channel, safe=':')}" if channel is not None else url


def qr_url(base_url: str, coupon_id: str, channel: str | None = None) -> str:
    url = f"{base_url}/coupons/{coupon_id}/promotion/qr"
    return f"{url}?channel={quote(channel, safe=':')}" if channel is not None else url


def channel_link(base_url: str, web_url: str, coupon_id: str, channel: str) -> ChannelLink:
    return ChannelLink(
        channel=channel,
        url=offer_url(web_url, coupon_id, channel),
        qr_png_url=qr_url(base_url, coupon_id, channel),
    )


def logos_of(read: PromotionRead) -> list[str]:
    """The logos this coupon's QR codes can carry."""
    return [NO_LOGO, *qr.COMMON_LOGOS] + ([CUSTOM] if read.coupon.has_logo else [])


def choose(read: PromotionRead, channel: str | None, logo: str | None) -> Choice:
    """The channel and logo asked for (channel "": the plain URL), or else the ones last used while the
    coupon still offers them. Refuses (422 naming the field) a channel the coupon does not define and a
    logo it cannot carry."""
    channels = read.coupon.options.get("channels") or []
    logos = logos_of(read)
    if channel is None:
        chosen_channel = read.channel if read.channel in channels else None
    elif channel == "":
        chosen_channel = None
    elif channel in channels:
        chosen_channel = channel
    else:
        known = ", ".join(channels) or "none defined"
        raise Invalid(
            f"channel: {channel[:64]!r} is not one of this coupon's channels ({known}); leave it empty "
            "for the plain URL",
            field="channel",
        )
    if logo is None:
        chosen_logo = read.logo if read.logo in logos else NO_LOGO
    else:
        chosen_logo = _LEGACY_LOGO.get(logo, logo)
        if chosen_logo not in logos:
            hint = "" if read.coupon.has_logo else f"; {CUSTOM} needs an image PUT to /promotion/logo first"
            raise Invalid(f"logo: use one of {', '.join(logos)}{hint}", field="logo")
    return Choice(chosen_channel, chosen_logo)


def sizes_of(sizes: str) -> list[str]:
    """The sizes of a comma-separated list, each once, in the order given."""
    asked = list(dict.fromkeys(s.strip() for s in sizes.split(",")))
    unknown = [s for s in asked if s not in qr.SIZES]
    if unknown or not asked:
        raise Invalid(f"size: use one or more of {', '.join(qr.SIZES)}, comma-separated", field="size")
    return asked


class Promotions:
    """A merchant's promotion of their coupons; every method checks the coupon belongs to `owner`."""

    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.store = PromotionStore(table or Table())
        self.clock = clock

    def promotion(
        self,
        owner: str,
        coupon_id: str,
        base: str,
        web: str,
        *,
        channel: str | None = None,
        logo: str | None = None,
    ) -> Promotion:
        """The offer pages' URLs (on `web`) and their QR links (on the API's `base`); a channel or logo
        named here becomes the default."""
        read = self.store.promotion_of(owner, coupon_id)
        choice = choose(read, channel, logo)
        if channel is not None or logo is not None:
            self._remember(read, choice)
        channels: list[str] = read.coupon.options.get("channels") or []
        return Promotion(
            coupon_id=coupon_id,
            url=offer_url(web, coupon_id),
            qr_png_url=qr_url(base, coupon_id),
            qr_sizes=list(qr.SIZES),
            channels=[channel_link(base, web, coupon_id, name) for name in channels],
            logos=logos_of(read),
            channel=choice.channel,
            logo=choice.logo,
        )

    def qr(
        self,
        owner: str,
        coupon_id: str,
        web_url: str,
        *,
        sizes: str = "m",
        channel: str | None = None,
        logo: str | None = None,
    ) -> QrDownload:
        """The QR code of the chosen channel's URL in each size asked: a PNG for one, a ZIP for several."""
        asked = sizes_of(sizes)
        wants_custom = logo is not None and _LEGACY_LOGO.get(logo, logo) == CUSTOM
        read = self.store.promotion_of(owner, coupon_id, custom_logo=wants_custom)
        choice = choose(read, channel, logo)
        image = self._logo_image(read, choice.logo)
        url = offer_url(web_url, coupon_id, choice.channel)
        pngs = {size: qr.render_png(url, size, image) for size in asked}
        if channel is not None or logo is not None:
            self._remember(read, choice)
        name = f"{coupon_id}-{(choice.channel or 'plain').replace(':', '_')}"
        if len(pngs) == 1:
            ((size, png),) = pngs.items()
            return QrDownload(png, "image/png", f"{name}-{size}.png")
        files = {f"{name}-{size}-{qr.SIZES[size]}px.png": png for size, png in pngs.items()}
        return QrDownload(qr.zip_of(files), "application/zip", f"{name}-qr.zip")

    def upload_logo(self, owner: str, coupon_id: str, body: LogoUpload) -> LogoOut:
        """The merchant's own image, checked and re-encoded, becomes the coupon's custom logo."""
        try:
            data = base64.b64decode(body.image, validate=True)
        except (binascii.Error, ValueError) as error:
            raise Invalid("image: not base64 text", field="image") from error
        if len(data) > qr.LOGO_MAX_BYTES:
            raise PayloadTooLarge(f"image: over {qr.LOGO_MAX_BYTES} bytes", field="image")
        try:
            logo = qr.clean_logo(data)
        except ValueError as error:
            raise Invalid(f"image: {error}", field="image") from error
        self.store.put_logo(owner, coupon_id, logo.png, to_iso(self.clock.now()))
        return LogoOut(coupon_id=coupon_id, logo="custom", width=logo.width, height=logo.height)

    def _logo_image(self, read: PromotionRead, logo: str) -> bytes | None:
        if logo == NO_LOGO:
            return None
        if logo != CUSTOM:
            return qr.common_logo(logo)
        # A custom logo remembered from before was not read with the coupon: only now is it known.
        return read.custom_logo or self.store.custom_logo(read.coupon.coupon_id)

    def _remember(self, read: PromotionRead, choice: Choice) -> None:
        """Written only when the choice differs from the one remembered: repeated downloads write nothing."""
        if (read.channel, read.logo or NO_LOGO) != (choice.channel, choice.logo):
            self.store.remember(
                read.coupon.coupon_id, channel=choice.channel, logo=choice.logo, now=to_iso(self.clock.now())
            )
