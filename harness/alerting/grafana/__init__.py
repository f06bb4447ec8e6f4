"""Grafana-managed alert rules, as a team exports them from Grafana, judged by the harness.

    model     the export's shapes (pydantic): the provisioning file and the API's single rule
    load      the export -> GrafanaRules, refusing what cannot be judged (ConfigError, exit 2)
    steps     one rule's queries and expressions compiled (PromQL through harness.alerting)
    pipeline  one evaluation: queries, reduce/math/threshold/classic conditions, the condition
    state     Grafana's instance states (Normal, Pending, Alerting, Recovering, NoData, Error)
    rule      the compiled rule, and `describe` to print each step as the team wrote it

`docs/grafana-rules.md` describes the semantics implemented, with links to Grafana's docs.
"""
