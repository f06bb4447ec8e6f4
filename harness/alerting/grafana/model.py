"""Grafana's alert-rule export, as pydantic models: exactly the shapes Grafana writes.

Two documents are accepted (YAML or JSON):
- the file-provisioning export (`Export` in the UI, `GET /api/v1/provisioning/alert-rules/export`):
  `apiVersion: 1`, `groups[].{orgId, name, folder, interval, rules[]}`, optionally with
  `policies` and `contactPoints` from the same provisioning file format;
- the provisioning API's JSON for one rule (`GET /api/v1/provisioning/alert-rules/{uid}`),
  which names its group (`ruleGroup`) and folder (`folderUID`) but not the group's interval.
Unknown keys are ignored, as Grafana's own provisioning reader does, so an export from a newer
Grafana still loads; what the harness cannot judge is refused later, in `load.py`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

NoDataState = Literal["NoData", "Alerting", "OK", "KeepLast"]
ExecErrState = Literal["Error", "Alerting", "OK", "KeepLast"]
Duration = str | int  # Prometheus duration text ("1m", "5m0s") or a number of seconds


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class RelativeTimeRange(_Model):
    from_s: int = Field(0, alias="from", ge=0)
    to_s: int = Field(0, alias="to", ge=0)


class AlertQuery(_Model):
    """One entry of a rule's `data`: a data source query or a server-side expression."""

    ref_id: str = Field(alias="refId", min_length=1)
    query_type: str = Field("", alias="queryType")
    relative_time_range: RelativeTimeRange = Field(
        default_factory=lambda: RelativeTimeRange(), alias="relativeTimeRange"
    )
    datasource_uid: str = Field(alias="datasourceUid")
    model: dict[str, Any] = Field(default_factory=dict)


class NotificationSettings(_Model):
    """Simplified routing: the rule names its contact point (and may override the timings)."""

    receiver: str
    group_by: list[str] | None = None
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    mute_time_intervals: list[str] = Field(default_factory=list)


class Rule(_Model):
    """One alert rule, in either document (the export's and the API's field names)."""

    uid: str = ""
    title: str = Field(min_length=1)
    condition: str | None = None
    data: list[AlertQuery] = Field(default_factory=list)
    no_data_state: NoDataState = Field("NoData", alias="noDataState")
    exec_err_state: ExecErrState = Field("Error", alias="execErrState")
    for_: Duration = Field("0s", alias="for")
    keep_firing_for: Duration = Field(
        "0s", validation_alias=AliasChoices("keepFiringFor", "keep_firing_for")
    )
    annotations: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    is_paused: bool = Field(False, alias="isPaused")
    notification_settings: NotificationSettings | None = None
    record: dict[str, Any] | None = None
    missing_series_evals_to_resolve: int | None = Field(
        None,
        ge=1,
        validation_alias=AliasChoices(
            "missing_series_evals_to_resolve", "missingSeriesEvalsToResolve"
        ),
    )
    # the API's JSON for one rule only
    rule_group: str | None = Field(None, alias="ruleGroup")
    folder_uid: str | None = Field(None, alias="folderUID")


class RuleGroup(_Model):
    org_id: int = Field(1, alias="orgId")
    name: str = Field(min_length=1)
    folder: str = Field(min_length=1)
    interval: Duration
    rules: list[Rule] = Field(min_length=1)


class Route(_Model):
    """A notification policy (the root one, or a nested route)."""

    receiver: str | None = None
    group_by: list[str] | None = None
    matchers: list[str] = Field(default_factory=list)
    object_matchers: list[list[str]] = Field(default_factory=list)
    continue_: bool = Field(False, alias="continue")
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    mute_time_intervals: list[str] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)


class Policy(Route):
    org_id: int = Field(1, alias="orgId")


class ContactPoint(_Model):
    org_id: int = Field(1, alias="orgId")
    name: str
    receivers: list[dict[str, Any]] = Field(default_factory=list)


class ExportFile(_Model):
    """The file-provisioning document (rules, and optionally policies and contact points)."""

    api_version: Literal[1] = Field(alias="apiVersion")
    groups: list[RuleGroup] = Field(default_factory=list)
    policies: list[Policy] = Field(default_factory=list)
    contact_points: list[ContactPoint] = Field(default_factory=list, alias="contactPoints")
