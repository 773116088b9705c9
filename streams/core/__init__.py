"""The pure KPI core: definitions, windows and scoring over plain state.

Nothing here imports faust, aiokafka, kafka or prometheus_client (a test enforces
it). Time is always an explicit argument, in integer microseconds since the
epoch (UTC), so that arithmetic is exact and never wall-clock arithmetic.
"""
