"""Prometheus metrics, one registry per process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

registry = CollectorRegistry(auto_describe=True)

http_requests = Counter("linli_http_requests_total", "HTTP requests", ["route", "status"], registry=registry)
graphql_operations = Counter(
    "linli_graphql_operations_total", "GraphQL operations", ["operation_type", "outcome"], registry=registry
)
graphql_errors = Counter("linli_graphql_errors_total", "GraphQL errors by code", ["code"], registry=registry)
request_seconds = Histogram("linli_http_request_seconds", "HTTP request latency", ["route"], registry=registry)
plugin_handler_failures = Counter(
    "linli_plugin_handler_failures_total", "Event handler failures per plugin", ["plugin"], registry=registry
)
outbox_delivered = Counter("linli_outbox_delivered_total", "Outbox messages delivered", ["topic"], registry=registry)
rate_limited = Counter("linli_rate_limited_total", "Requests refused by the rate limiter", ["scope"], registry=registry)
rate_limit_fallback = Counter(
    "linli_rate_limit_fallback_total",
    "Rate-limit decisions taken in-process because Redis (LINLI_REDIS_URL) was unavailable",
    registry=registry,
)
tenant_cache_lookups = Counter(
    "linli_tenant_cache_lookups_total",
    "Lookups in per-tenant caches (enforcers, rate buckets, data keys) by outcome; hit rate = hit / (hit + miss)",
    ["cache", "outcome"],
    registry=registry,
)
tenant_cache_evictions = Counter(
    "linli_tenant_cache_evictions_total", "Least recently used entries evicted from per-tenant caches", ["cache"], registry=registry
)
tenant_cache_entries = Gauge("linli_tenant_cache_entries", "Entries held in a per-tenant cache", ["cache"], registry=registry)
