"""HTML to PDF with WeasyPrint, for the case documents and the reports.

WeasyPrint is imported on the first document, not with the module: the
application starts (and every page without a PDF works) on a machine without
Pango, and the other processes do not pay for its import.
"""


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()
