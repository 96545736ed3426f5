"""moto's request handler with HTTP/1.1 keep-alive: one connection carries a client's requests in turn.

werkzeug's development server closes every connection after one answer (it cannot tell where an unread
request body ends), so each emulated request paid a TCP connect, a server thread started and stopped,
and a close on both sides: about a third of a request's CPU in this process, where the tests, the
emulator and the functions' clients all live. This handler reads each request's body whole (its
`Content-Length`) before the app sees it, so the next request line is always where the connection
stands, and answers with a `Content-Length` of its own when the app gives none. A request with a chunked
body, an answer the app cannot finish and a dropped connection still close the connection as before.
What the app answers (status, headers, body) is unchanged.
"""

from __future__ import annotations

import io
import socket
import traceback
from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.exceptions import InternalServerError

_NO_BODY_CODES = frozenset({204, 304})


class KeepAliveHandler(MotoRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # An answer goes out in one write; without this, a client's delayed ACK could hold the next one.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def run_wsgi(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            super().run_wsgi()  # werkzeug's own way, which closes the connection after the answer
            return
        # (`Expect: 100-continue` was answered by http.server's `parse_request`)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        self.environ = environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(body)
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if exc_info and answer:
                raise exc_info[1].with_traceback(exc_info[2])
            answer["status"], answer["headers"] = status, headers
            return lambda data: answer.setdefault("written", []).append(data)

        try:
            chunks = self.server.app(environ, start_response)
            try:
                content = b"".join([*answer.get("written", ()), *chunks])
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()
        except ConnectionError as error:
            self.close_connection = True
            self.connection_dropped(error, environ)
            return
        except Exception:  # as werkzeug does: a 500, the error logged, and the connection closed
            self.close_connection = True
            self.log_error("Error on request:\n%s", traceback.format_exc())
            failed = InternalServerError().get_response(environ)
            self._send(failed.status, list(failed.headers.items()), failed.get_data())
            return
        self._send(answer["status"], answer["headers"], content)

    def _send(self, status: str, headers: list[tuple[str, str]], content: bytes) -> None:
        code_text, _, message = status.partition(" ")
        code = int(code_text)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())
        self.send_header("Date", self.date_time_string())
        names = set()
        for name, value in headers:
            self.send_header(name, value)
            names.add(name.lower())
        sized = "content-length" in names or self.command == "HEAD"
        if not (sized or 100 <= code < 200 or code in _NO_BODY_CODES):
            self.send_header("Content-Length", str(len(content)))
        # http.server's headers so far, sent with the body in one write (what `end_headers` would flush)
        buffered: list[bytes] = self._headers_buffer
        head = b"".join(buffered) + b"\r\n"
        self._headers_buffer: list[bytes] = []
        self.wfile.write(head if self.command == "HEAD" else head + content)
