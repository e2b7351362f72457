"""Expected failures: each becomes one line on stderr and exit code 2, never a traceback."""


class DocauditError(Exception):
    """A usage, configuration, input, auth or network error the user can fix."""


MAX_MESSAGE = 300


class ApiError(DocauditError):
    """A service's answer that retrying will not fix; `status` is the HTTP status, when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class InputError(DocauditError):
    """A file the user wrote (config, probes) is malformed; the message names file and line."""

    def __init__(self, path: str, line: int | None, message: str):
        self.path, self.line = path, line
        where = f"{path}:{line}" if line else path
        # A message may quote the user's input: at most a short excerpt of it, on one line.
        message = " ".join(message.split())
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 1] + "…"
        super().__init__(f"{where}: {message}")
