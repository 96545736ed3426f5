"""The web app's built files, served by the local gateway at /console/ and /c/ beside the API (`make run`).

`make web` builds them into web/dist. Every page path answers index.html (the app routes by path), assets
are served as built, and /config.json tells the app where the API is and that local sign-in is on. The
answers carry the headers CloudFront gives them when deployed: a content security policy that allows
scripts from this origin only, no framing, no referrer.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

from devstack.template import ROOT

DIST = ROOT / "web" / "dist"
PAGE_PREFIXES = ("/console", "/c/", "/signed-in")
Answer = tuple[int, dict[str, str], bytes]


def security_headers(connect: list[str]) -> dict[str, str]:
    sources = " ".join(["'self'", *connect])
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            f"connect-src {sources}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


class Site:
    def __init__(self, api_path: str, connect: list[str], dist: Path = DIST) -> None:
        self.dist = dist
        self.config = json.dumps({"apiUrl": api_path, "localSignIn": True}).encode()
        self.headers = security_headers(connect)

    def answer(self, path: str) -> Answer | None:
        """The file for a GET of `path`, or None when the path is not the web app's."""
        if path == "/config.json":
            return 200, {"Content-Type": "application/json", "Cache-Control": "no-store"}, self.config
        if path.startswith("/assets/"):
            return self._file(path[len("/assets/") :], "assets")
        if path == "/c" or path.startswith(PAGE_PREFIXES):
            return self._index()
        return None

    def _index(self) -> Answer:
        index = self.dist / "index.html"
        if not index.is_file():
            body = b"The web app is not built: `make web` builds it (`make run` does too).\n"
            return 503, {"Content-Type": "text/plain; charset=utf-8"}, body
        headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache", **self.headers}
        return 200, headers, index.read_bytes()

    def _file(self, name: str, folder: str) -> Answer:
        base = (self.dist / folder).resolve()
        path = (base / name).resolve()
        if not path.is_relative_to(base) or not path.is_file():
            return 404, {"Content-Type": "text/plain; charset=utf-8"}, b"Not Found\n"
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        # Built names carry a hash of their content: cached for good.
        headers = {"Content-Type": kind, "Cache-Control": "public, max-age=31536000, immutable"}
        return 200, {**headers, "X-Content-Type-Options": "nosniff"}, path.read_bytes()
