"""The one exception type the CLI turns into a one-line message and an exit code."""


class LeakmapError(Exception):
    """A problem the user can act on: bad input, a missing session, an unreadable file.

    The CLI prints ``str(error)`` on one line and exits with ``exit_code``; the library never
    leaves a half-written result behind when it raises one.
    """

    exit_code: int = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
