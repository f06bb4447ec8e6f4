"""What people run from another terminal during a game day: `harness ack`, `harness resolve URL`
and `harness abort`. Each reads `<report dir>/gameday.json` and asks the running game day."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from harness.errors import ExitCode, HarnessError, UsageError
from harness.gameday.info import GAMEDAY_FILE, read_info

TIMEOUT_S = 30.0  # `resolve` waits for the factory's answer (the game day gives it 10 s)


class NoGameDay(UsageError):
    """No game day is running from this report folder (no gameday.json, or it does not answer)."""


class ActionRefused(UsageError):
    """The game day refused the action (nobody paged yet, already acknowledged, a URL not on the
    factory's host, a wrong token); the message is its reason."""


def ask(report_dir: Path, action: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST `body` to the running game day's `/<action>`; its answer, or a clear error."""
    path = report_dir / GAMEDAY_FILE
    info = read_info(path)
    if not info:
        raise NoGameDay(
            f"no game day is running: there is no {path}",
            fix="start one with `harness gameday SCENARIO`, or give its --report-dir",
        )
    try:
        answer = httpx.post(
            f"{info['url']}/{action}",
            json=body,
            headers={"authorization": f"Bearer {info.get('token', '')}"},
            timeout=TIMEOUT_S,
        )
    except (httpx.HTTPError, KeyError) as exc:
        raise NoGameDay(
            f"the game day in {path} (pid {info.get('pid')}) does not answer: {exc!r}",
            fix="it has ended or is ending; start a new one with `harness gameday SCENARIO`",
        ) from None
    try:
        result: dict[str, Any] = answer.json()
    except ValueError:
        result = {"message": answer.text[:200]}
    if answer.status_code in (401, 409):
        raise ActionRefused(f"the game day refused `{action}`: {result.get('message')}")
    if answer.status_code != 200:
        raise HarnessError(
            f"the game day answered {answer.status_code} to `{action}`: {result.get('message')}"
        )
    return result


def acknowledge(report_dir: Path, who: str) -> int:
    print(ask(report_dir, "ack", {"who": who})["message"])
    return int(ExitCode.OK)


def resolve(report_dir: Path, url: str, who: str) -> int:
    """Exit 0 when the factory resolved the chaos (or had none), 1 when it did not."""
    result = ask(report_dir, "resolve", {"who": who, "url": url})
    print(f"{result['outcome']}: {result['message']}")
    resolved = result["outcome"] in ("resolved", "no_chaos")
    return int(ExitCode.OK if resolved else ExitCode.EXPECTATION_FAILED)


def abort(report_dir: Path, who: str) -> int:
    print(ask(report_dir, "abort", {"who": who})["message"])
    return int(ExitCode.OK)
