"""The harness's one tree of errors, and the numbered exit codes a CI can act on.

Every error says what went wrong and how to fix it; the CLI prints that message (never a traceback)
and exits with the error's code.

    HarnessError                 exit 3: the harness or its infrastructure failed
    ├── UsageError               exit 2: bad command line, option or input file
    │   └── ConfigError          exit 2: a setting is invalid (names the field and the fix)
    └── ServerError              exit 3: a server we started did not come up or died
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Numbered like pytest's ExitCode, so a CI job can branch on the cause."""

    OK = 0
    EXPECTATION_FAILED = 1
    USAGE_ERROR = 2
    HARNESS_ERROR = 3
    INTERRUPTED = 4


class HarnessError(Exception):
    """Base of every error the harness raises on purpose."""

    exit_code = ExitCode.HARNESS_ERROR

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(f"{message} (fix: {fix})" if fix else message)


class UsageError(HarnessError):
    """The command line or an input file is wrong; nothing was started."""

    exit_code = ExitCode.USAGE_ERROR


class ConfigError(UsageError):
    """One setting is invalid; the message names the setting (`field`) and says how to fix it."""

    def __init__(self, field: str, message: str, *, fix: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}", fix=fix)


class ServerError(HarnessError):
    """A server the harness started did not become healthy, or died while in use."""
