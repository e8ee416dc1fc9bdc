"""A real HTTP server on 127.0.0.1 in a thread, scripted per test."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ScriptedServer:
    """Answers each request with the next scripted reply; once the script runs
    out, the last reply repeats. A reply is ``(status, body)`` where body is a
    dict (sent as JSON), bytes (sent as is) or ``("sleep", seconds, reply)``."""

    def __init__(self, replies=None, handler=None):
        self.replies = list(replies or [])
        self.handler = handler
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": json.loads(body) if body else None,
                    }
                )
                if server.handler:
                    reply = server.handler(self.command, self.path)
                elif len(server.replies) > 1:
                    reply = server.replies.pop(0)
                else:
                    reply = server.replies[0]
                if reply[0] == "sleep":
                    time.sleep(reply[1])
                    reply = reply[2]
                status, payload = reply
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = _answer
            do_POST = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
