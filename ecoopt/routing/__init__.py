"""Routing and batching of inference requests over heterogeneous edge nodes over time."""
