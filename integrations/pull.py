"""HTTP pulls: page through a source's JSON API and store each page as a chunk.

The protocol (docs/formats/http-pull.md): ``GET URL?cursor=C&limit=N`` answers
``{"items": [...], "next_cursor": "..."}``. Each page is stored in one
transaction together with the new cursor (``PullCursor``), so the cursor never
moves past a page that was not stored; a failure (timeout, 5xx after retries,
a truncated or malformed page) ends the batch as failed and the next pull starts
again from the last stored cursor. An empty page or a null ``next_cursor`` ends
the pull; the next pull asks again from the last cursor (its page comes back
unchanged, followed by whatever is new).
"""

import logging

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.adapters import ADAPTERS, HTTP_SOURCES, get_adapter
from integrations.http import HttpClient, HttpError
from integrations.models import ImportBatch, PullCursor
from integrations.pipeline import Chunk, _finish, groups, sink_for, write_chunk

logger = logging.getLogger(__name__)

PAGE_SIZE = 500
MAX_PAGES = 10_000


class PageInvalid(Exception):
    pass


def configured_sources() -> dict[str, str]:
    """HTTP source -> URL, from INGEST_PULL_<SOURCE>_URL (``vnaccs-http`` reads
    INGEST_PULL_VNACCS_HTTP_URL)."""
    urls = settings.INGEST_PULL_URLS
    return {source: urls[source] for source in HTTP_SOURCES if urls.get(source)}


def pull_configured(*, source: str) -> int:
    url = configured_sources().get(source)
    if not url:
        logger.info("pull %s skipped: no INGEST_PULL_..._URL configured", source)
        return 0
    return pull(source=source, url=url).pk


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _rows(adapter, header, items, first_row: int):
    """Rows (number, values) of one page; a declaration item carries its lines."""
    number = first_row
    for item in items:
        if not isinstance(item, dict):
            raise PageInvalid(_("an item is not a JSON object"))
        if adapter.kind == "declarations":
            lines = item.get("lines")
            if not isinstance(lines, list) or not lines:
                lines = [{}]
            records = [{**item, **line} for line in lines if isinstance(line, dict)]
        else:
            records = [item]
        for record in records:
            number += 1
            yield number, [_text(record.get(name)) for name in header]


def _page(payload):
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        raise PageInvalid(_("the page has no list of items"))
    cursor = payload.get("next_cursor")
    if cursor is not None and not isinstance(cursor, str | int):
        raise PageInvalid(_("next_cursor is neither text nor null"))
    return payload["items"], (None if cursor in (None, "") else str(cursor))


def pull(
    *,
    source: str,
    url: str,
    unit=None,
    client: HttpClient | None = None,
    page_size: int = PAGE_SIZE,
    max_pages: int = MAX_PAGES,
) -> ImportBatch:
    adapter = get_adapter(source)
    if ADAPTERS[source].file_format != "http":
        raise ValueError(f"{source} is not an HTTP source")
    client = client or HttpClient()
    batch = ImportBatch.objects.create(
        source=source,
        file_name=url[:255],
        status=ImportBatch.Status.RUNNING,
        started_at=timezone.now(),
        unit=unit,
    )
    header = adapter.header_of_items()
    ImportBatch.objects.filter(pk=batch.pk).update(columns=header)
    plan = adapter.plan(header)
    sink = sink_for(batch, adapter)
    state, _created = PullCursor.objects.get_or_create(source=source)
    cursor = state.cursor
    rows_seen = 0
    for _page_number in range(max_pages):
        try:
            payload = client.get_json(url, {"cursor": cursor, "limit": page_size})
            items, next_cursor = _page(payload)
            rows = list(_rows(adapter, header, items, rows_seen))
        except (HttpError, PageInvalid) as exc:
            logger.warning("pull %s failed at cursor %r: %s", source, cursor, exc)
            return _finish(
                batch,
                ImportBatch.Status.FAILED,
                _("The page after cursor “%(cursor)s” could not be stored: %(error)s")
                % {"cursor": cursor, "error": exc},
            )
        if not items:
            break
        chunk = Chunk()
        for group in groups(adapter, plan, header, rows):
            sink.build(group, header, chunk)
            chunk.rows += len(group)
            chunk.last_row = group[-1][0]
        stored_cursor = next_cursor or cursor

        def save_cursor(value=stored_cursor):
            PullCursor.objects.filter(pk=state.pk).update(cursor=value, pages=F("pages") + 1)

        write_chunk(batch, sink, chunk, header, extra=save_cursor)
        rows_seen = chunk.last_row
        if next_cursor is None or next_cursor == cursor:
            break
        cursor = next_cursor
    return _finish(batch, ImportBatch.Status.DONE)
