"""The one HTTP client of STQ02's integrations: timeouts, retries with backoff.

Every call to another system goes through :class:`HttpClient`. A server error
(5xx), a timeout, a refused connection or a response body that is not complete
JSON is retried with exponential backoff; a client error (4xx) is not, since
sending the same request again would give the same answer. Adapters never
open sockets themselves: they map the records this module fetched.
"""

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

logger = logging.getLogger(__name__)


class HttpError(Exception):
    """The request failed for good (after retries, or a 4xx)."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False):
        super().__init__(message)
        self.status = status
        self.retryable = retryable


@dataclass
class HttpClient:
    timeout: float = 10.0
    retries: int = 3
    backoff: float = 0.5
    token: str | None = None

    def _headers(self, extra: dict | None = None) -> dict:
        headers = {"Accept": "application/json", "User-Agent": "STQ02-integrations/1"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def _once(self, request: urllib.request.Request):
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            exc.read()
            raise HttpError(
                f"{request.get_method()} {request.full_url}: HTTP {exc.code}",
                status=exc.code,
                retryable=exc.code >= 500 or exc.code == 429,
            ) from exc
        except TimeoutError as exc:
            raise HttpError(
                f"{request.get_method()} {request.full_url}: no answer within {self.timeout:g} s",
                retryable=True,
            ) from exc
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise HttpError(
                f"{request.get_method()} {request.full_url}: {reason}", retryable=True
            ) from exc
        if not body:
            return status, None
        try:
            return status, json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HttpError(
                f"{request.get_method()} {request.full_url}: the answer is not complete JSON "
                f"({exc})",
                status=status,
                retryable=True,
            ) from exc

    def request_json(self, method: str, url: str, *, body: dict | None = None, headers=None):
        if not url.lower().startswith(("http://", "https://")):
            raise HttpError(f"{url}: only http:// and https:// addresses are allowed")
        data = None
        extra = dict(headers or {})
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
            extra["Content-Type"] = "application/json; charset=utf-8"
        attempt = 0
        while True:
            attempt += 1
            request = urllib.request.Request(  # noqa: S310 (scheme checked above)
                url, data=data, method=method, headers=self._headers(extra)
            )
            try:
                _status, payload = self._once(request)
                return payload
            except HttpError as exc:
                if not exc.retryable or attempt > self.retries:
                    logger.warning("HTTP failed after %d attempt(s): %s", attempt, exc)
                    raise
                delay = self.backoff * (2 ** (attempt - 1))
                logger.info("HTTP attempt %d failed (%s); retrying in %.2f s", attempt, exc, delay)
                time.sleep(delay)

    def get_json(self, url: str, params: dict | None = None):
        if params:
            query = urllib.parse.urlencode({k: v for k, v in params.items() if v not in (None, "")})
            if query:
                url = f"{url}{'&' if '?' in url else '?'}{query}"
        return self.request_json("GET", url)

    def post_json(self, url: str, body: dict, *, headers: dict | None = None):
        return self.request_json("POST", url, body=body, headers=headers)
