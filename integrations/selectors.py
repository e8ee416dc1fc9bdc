"""Reads of import batches and their rejected rows."""

from integrations.models import ImportBatch, RejectedRow

TRAILER = ["_row", "_field", "_reason"]


def batches_for(user):
    return ImportBatch.objects.visible_to(user).select_related("unit", "uploaded_by")


def rejection_header(batch: ImportBatch) -> list[str]:
    """The file's own columns (so the corrected file can be sent again), then the
    row, field and reason of the rejection."""
    if batch.columns:
        return [*batch.columns, *TRAILER]
    first = RejectedRow.objects.filter(batch=batch).order_by("row_number", "pk").first()
    return [*(first.raw.keys() if first else []), *TRAILER]


def write_rejections_csv(batch: ImportBatch, writer) -> None:
    header = rejection_header(batch)
    columns = header[: -len(TRAILER)]
    writer.writerow(header)
    rows = RejectedRow.objects.filter(batch=batch).order_by("row_number", "pk")
    for rejected in rows.iterator(chunk_size=2000):
        writer.writerow(
            [rejected.raw.get(c, "") for c in columns]
            + [rejected.row_number, rejected.field, rejected.reason]
        )
