"""Prometheus rules and the Alertmanager configuration, generated from the targets file.

Pure: builds rule and configuration documents from ``Targets``; ``ccm rules build``
writes them to ``deploy/prometheus/rules/`` and ``deploy/alertmanager/``.
"""
