"""How the access log and the metrics name a request's route: by its template."""

from starlette.types import Scope


def route_template(scope: Scope) -> str | None:
    """The matched route's path template (`/users/{user_id}`); None when no route matched.

    A template, not the path: a bounded set of names, and no id or secret of a URL in them.
    """
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None
