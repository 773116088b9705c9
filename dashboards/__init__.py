"""Grafana dashboards as code: the supervisor wallboard, the duty officer's view, the
command team's month and the pipeline's health, built with grafana-foundation-sdk.

`ccm dashboards build` writes them as JSON to deploy/grafana/dashboards/, where
Grafana's provisioning reads them; `ccm dashboards push` sends them to a Grafana.
"""
