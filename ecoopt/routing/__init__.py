"""Routing and batching of LLM inference requests over heterogeneous edge nodes."""
