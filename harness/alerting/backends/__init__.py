"""Alerting backends other than the built-in evaluator: a real Prometheus + Alertmanager
(`alerting.backend: prometheus`), its generated configuration, and the differential comparison."""
