"""OTLP/HTTP receiver (``correlate serve-otlp``) and its durable spool."""
