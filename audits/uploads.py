"""Checks on a file attached to a case: its real type by magic bytes, an
extension that matches that type, and the size limit (settings.UPLOAD_MAX_BYTES).
A file named .pdf that is really an executable is refused, as is a .docx that is
not a Word package."""

import hashlib
import zipfile

from django.conf import settings
from django.utils.translation import gettext as _

from stq02.errors import DomainError

# type -> (allowed extensions, content type)
ALLOWED = {
    "pdf": ((".pdf",), "application/pdf"),
    "jpeg": ((".jpg", ".jpeg"), "image/jpeg"),
    "png": ((".png",), "image/png"),
    "docx": (
        (".docx",),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": ((".xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def sniff(head: bytes, upload) -> str | None:
    """The file's real type from its first bytes (and, for Office files, its package)."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        upload.seek(0)
        try:
            with zipfile.ZipFile(upload) as package:
                names = set(package.namelist())
        except zipfile.BadZipFile:
            return None
        finally:
            upload.seek(0)
        if "[Content_Types].xml" not in names:
            return None
        if any(name.startswith("word/") for name in names):
            return "docx"
        if any(name.startswith("xl/") for name in names):
            return "xlsx"
    return None


def check_upload(upload) -> tuple[str, str]:
    """(content type, SHA-256) of an acceptable file; DomainError naming the file otherwise."""
    name = upload.name or ""
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise DomainError(
            _("%(name)s is %(size)d bytes; the limit is %(limit)d bytes.")
            % {"name": name, "size": upload.size, "limit": limit},
            field="file",
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff(head, upload)
    if kind is None:
        raise DomainError(
            _("%(name)s is not a PDF, JPEG, PNG, DOCX or XLSX file.") % {"name": name},
            field="file",
            code="bad_type",
        )
    extensions, content_type = ALLOWED[kind]
    if not name.lower().endswith(extensions):
        raise DomainError(
            _("%(name)s is a %(kind)s file but its name says otherwise: rename it to %(ext)s.")
            % {"name": name, "kind": kind.upper(), "ext": extensions[0]},
            field="file",
            code="spoofed_extension",
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return content_type, digest.hexdigest()
