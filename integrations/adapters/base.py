"""The one adapter interface.

An adapter knows one source: how to read it into rows (``inspect`` and ``rows``
for a file, or the items of an HTTP page), which columns it has and how each is
checked (``columns``), and how a checked row becomes the record its writer
stores (``map``). What happens to records (batches, chunks, idempotency,
rejections) is the pipeline's job, the same for every adapter.
"""

from pathlib import Path

from django.utils.translation import gettext as _

from integrations import readers
from integrations.fields import BadValue, RowError, check_row, compile_plan
from integrations.readers import FileInfo, FileRefused


class Adapter:
    name: str = ""
    label: str = ""
    kind: str = "declarations"  # declarations | violations | registry | tax_debt
    file_format: str = "csv"  # csv | xlsx | xml | http
    columns: tuple = ()
    record_tag = ""  # XML: the element of one record
    child_tag = None  # XML: the element of one row inside a record (a goods line)
    width = 0  # the header's number of columns, set by plan()
    line_keys = None  # checked key -> goods line field, for formats with goods lines

    def inspect(self, path) -> FileInfo:
        """Read the whole file once; raise FileRefused if it cannot be imported."""
        if self.file_format == "csv":
            info = readers.inspect_csv(path)
        elif self.file_format == "xlsx":
            info = readers.inspect_xlsx(path)
        elif self.file_format == "xml":
            info = readers.inspect_xml(path, record_tag=self.record_tag, child_tag=self.child_tag)
            info.header = [c.name for c in self.columns]
        else:
            raise FileRefused(_("Adapter %(name)s does not read files.") % {"name": self.name})
        try:
            self.plan(info.header)
        except BadValue as exc:
            raise FileRefused(
                _("File %(name)s is refused: %(message)s")
                % {"name": Path(path).name, "message": exc}
            ) from None
        return info

    def plan(self, header: list[str]):
        self.width = len(header)
        return compile_plan(self.columns, header, self.line_keys)

    def rows(self, path, info: FileInfo, *, start_after: int = 0):
        if self.file_format == "csv":
            return readers.csv_rows(path, start_after=start_after)
        if self.file_format == "xlsx":
            return readers.xlsx_rows(path, start_after=start_after)
        return readers.xml_rows(
            path,
            info.header,
            record_tag=self.record_tag,
            child_tag=self.child_tag,
            start_after=start_after,
        )

    def check(self, plan, values: list) -> dict:
        """Typed values of one row, or RowError naming the field."""
        if len(values) != self.width:
            raise RowError(
                "-",
                _("the row has %(got)d fields where the header has %(want)d")
                % {"got": len(values), "want": self.width},
            )
        return self.map(check_row(plan, values))

    def map(self, typed: dict) -> dict:
        """Turn checked values into the writer's record (may raise RowError)."""
        return typed

    def header_of_items(self) -> list[str]:
        """The header used for JSON items (HTTP pulls): every column's name."""
        return [c.name for c in self.columns]
