//! HTTP API, web dashboard and Prometheus metrics.
