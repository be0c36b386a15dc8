"""Alerting: the alert policy, CAP messages and delivery channels."""
