"""Monthly KPI exports: files from the monthly pack, and the pack from an event log."""
