"""Metrics: the catalogue of every reported number (:mod:`.catalogue`) and its evaluation over panel rows
(:mod:`.rows`)."""

from correlate.metrics.catalogue import METRICS, TABLES, Metric, metric, table

__all__ = ["METRICS", "TABLES", "Metric", "metric", "table"]
