"""The on-call pager: pages the on-call person when a firing notification arrives, records the
acknowledgement after the scenario's delay (the seed: paged 10:05:06, acknowledged 10:05:24) or
when a person acknowledges (a game day's `harness ack`), and escalates (pages again) while nobody
has acknowledged.

Pure scenario-time logic: the runner feeds notifications and asks what is due at time `st`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.timeline import Acknowledged, Event, Notified


class NothingToAcknowledge(Exception):
    """Nobody has been paged, or the page is already acknowledged; the message says which."""


@dataclass
class Pager:
    oncall: str
    acknowledge_after: float | None
    escalate_after: float
    paged_at: float | None = None
    acknowledged_at: float | None = None
    acknowledged_by: str | None = None
    next_escalation: float | None = None
    pages: list[float] = field(default_factory=list)

    def notify(self, event: Notified, st: float) -> None:
        """A notification from alerting; only firing ones page someone."""
        if event.status == "resolved":  # the incident is over: the next one pages again
            self.paged_at = self.acknowledged_at = self.next_escalation = None
            self.acknowledged_by = None
            return
        if self.acknowledged_at is not None:
            return
        if self.paged_at is None:
            self.paged_at = st
            self.next_escalation = st + self.escalate_after
        self.pages.append(st)

    def acknowledge(self, who: str, st: float) -> Acknowledged:
        """A person acknowledges the page (a game day); escalation stops."""
        if self.paged_at is None:
            raise NothingToAcknowledge("nobody has been paged: there is nothing to acknowledge")
        if self.acknowledged_at is not None:
            raise NothingToAcknowledge(
                f"the page is already acknowledged by {self.acknowledged_by}"
            )
        self.acknowledged_at, self.acknowledged_by = st, who
        return Acknowledged(who=who)

    def due(self, st: float) -> list[tuple[float, Event]]:
        """Events that happened by `st`, each with its scenario time: an acknowledgement, or an
        escalation page when the last page went unanswered for `escalate_after`."""
        if self.paged_at is None or self.acknowledged_at is not None:
            return []
        if self.acknowledge_after is not None and st >= self.paged_at + self.acknowledge_after:
            self.acknowledged_at = self.paged_at + self.acknowledge_after
            self.acknowledged_by = self.oncall
            return [(self.acknowledged_at, Acknowledged(who=self.oncall))]
        if self.next_escalation is not None and st >= self.next_escalation:
            at = self.next_escalation
            self.next_escalation = at + self.escalate_after
            self.pages.append(at)
            page = Notified(
                group="escalation",
                status="firing",
                alerts=[],
                who=self.oncall,
                reason=f"escalation: not acknowledged after {len(self.pages) - 1} pages",
            )
            return [(at, page)]
        return []
