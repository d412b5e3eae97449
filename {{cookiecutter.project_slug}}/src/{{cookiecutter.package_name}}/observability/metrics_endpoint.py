"""`GET /metrics`: the metrics (metrics.py) in Prometheus' text format, for scrapers only.

Who may read them: requests made directly (no proxy's `X-Forwarded-For` or `Forwarded`) from
METRICS_ALLOWED_NETWORKS, loopback and private networks by default, where a cluster's scraper
is; anyone else gets 404, as if there were no such route.
"""

import os
from ipaddress import ip_address

from fastapi import APIRouter, HTTPException, Request, Response, status
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from {{ cookiecutter.package_name }}.core.settings import get_settings

router = APIRouter(include_in_schema=False)


def _may_read(request: Request) -> bool:
    settings = get_settings()
    if not settings.metrics_enabled or request.client is None:
        return False
    if "x-forwarded-for" in request.headers or "forwarded" in request.headers:
        return False  # it came through a proxy: from outside, whatever the peer's address
    try:
        peer = ip_address(request.client.host)
    except ValueError:
        return False
    return any(peer in network for network in settings.metrics_allowed_networks)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """The metrics in Prometheus' text format (a thread: reading the worker files is I/O)."""
    if not _may_read(request):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Not Found")
    registry = REGISTRY
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
