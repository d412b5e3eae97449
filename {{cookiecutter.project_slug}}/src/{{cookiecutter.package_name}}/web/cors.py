"""Cross-origin requests (CORS): the web pages of other origins that a browser lets call this API.

None by default (CORS_ALLOWED_ORIGINS is empty), which suits an API that apps, servers and its
own pages call: a browser then lets no other site's script read an answer. A front end served
from its own origin (https://app.example) is listed there. Credentials (cookies) are never
allowed across origins: the API's token travels in the Authorization header, which a listed
origin may send, and the device cookie is the token endpoint's own (SameSite=Strict).
"""

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from {{ cookiecutter.package_name }}.observability.request_id import HEADER as REQUEST_ID

ALLOWED_METHODS = ["GET", "POST", "PATCH", "DELETE"]  # the methods the routes take
ALLOWED_HEADERS = ["Authorization", "Content-Type", REQUEST_ID]
# Headers a page's script may read besides the simple ones: the id to quote in a bug report,
# when to try again after a 429 or 503, and where a created resource is.
EXPOSED_HEADERS = [REQUEST_ID, "Retry-After", "Location"]
PREFLIGHT_MAX_AGE_SECONDS = 600  # how long a browser may keep a preflight's answer


def allow_cross_origin(app: FastAPI, origins: list[str]) -> None:
    """Answer preflights and mark answers for `origins`; nothing at all when there are none."""
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=PREFLIGHT_MAX_AGE_SECONDS,
    )
