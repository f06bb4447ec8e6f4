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
    """What every `harness` command exits with, so a CI job can branch on the cause (our own
    numbering: pytest's differs, e.g. its 2 is "interrupted")."""

    OK = 0  # every expectation met (a run), or the command did what it was asked
    EXPECTATION_FAILED = 1  # the run completed and a gate failed: the system under test's fault
    USAGE_ERROR = 2  # a bad scenario, rule file or option: nothing was started
    HARNESS_ERROR = 3  # a server did not start or died, or the harness crashed: no verdict
    INTERRUPTED = 4  # Ctrl-C, SIGTERM or a game day's abort: rolled back, no verdict


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
