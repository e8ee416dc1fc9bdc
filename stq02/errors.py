"""The one domain error of STQ02.

Services raise ``DomainError`` with a translated message when a rule of the
domain refuses an action (an overlapping audit, a transition out of turn). Pages
turn it into a form error or a message; the API turns it into the common JSON
error shape with status 409 or 400.
"""


class DomainError(Exception):
    status_code = 400

    def __init__(
        self,
        message,
        *,
        code: str = "invalid",
        field: str | None = None,
        details: dict | None = None,
    ):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.field = field
        self.details = details or {}


class ConflictError(DomainError):
    status_code = 409
