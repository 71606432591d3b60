"""Writes Shield's generated monitoring assets: dashboards, SLO rules, the metrics reference."""
