"""Every log record as one JSON object per line (or, for `dev`, a readable coloured line).

The app's own loggers, the audit log, uvicorn's and SQLAlchemy's all go through the standard
`logging` module; structlog only formats them. A record's `extra` fields become keys of its
line, beside timestamp, level, logger and message; the request's id (`request_id`) when it
was logged while a request was served, and the trace's ids when traces are on. Values are
escaped as JSON escapes them, DEL and the line separators past ASCII included: a value cannot
forge a line.
"""

import json
import logging
import sys
from typing import Any, Literal

import structlog
from opentelemetry import trace

LogFormat = Literal["json", "console"]


def _drop_color_message(
    logger: Any, method: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    # uvicorn's own lines carry their message again with terminal colour codes.
    event_dict.pop("color_message", None)
    return event_dict


def _add_trace_ids(
    logger: Any, method: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    # Inside a span (observability/telemetry.py, when traces are on): its ids.
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = f"{context.trace_id:032x}"
        event_dict["span_id"] = f"{context.span_id:016x}"
    return event_dict


def _dumps(value: Any, **options: Any) -> str:
    # ASCII only (JSON's default): U+2028 and U+0085, which end lines for some readers, come
    # out escaped; DEL is the one control character JSON leaves as it is.
    return json.dumps(value, **options).replace("\x7f", "\\u007f")


# What every line gets, whoever logged it.
_SHARED: list[structlog.types.Processor] = [
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    # structlog's "event" is the message; the record's extras (the audit's own "event") next.
    structlog.processors.EventRenamer("message"),
    structlog.stdlib.ExtraAdder(),
    _drop_color_message,
    structlog.contextvars.merge_contextvars,
    _add_trace_ids,
]


def formatter(log_format: LogFormat) -> logging.Formatter:
    """A `logging.Formatter` that writes each record as `log_format` says."""
    renderer: structlog.types.Processor
    if log_format == "json":
        # A traceback is one field of the line ("exception"), as text: no local variables,
        # which may hold a password.
        renderer = structlog.processors.JSONRenderer(serializer=_dumps)
        last: list[structlog.types.Processor] = [structlog.processors.format_exc_info, renderer]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty(), event_key="message")
        last = [renderer]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *last],
    )


def logging_config(log_format: LogFormat, level: str, *, stream: str = "stdout") -> dict[str, Any]:
    """`logging.config.dictConfig`'s form of the setup, which uvicorn applies in each of its
    worker processes (its `log_config`). `stream`: stdout for the server, stderr for commands
    whose own output is on stdout."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {"()": f"{__name__}.formatter", "log_format": log_format},
        },
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "stream": f"ext://sys.{stream}",
            },
        },
        "root": {"handlers": ["default"], "level": level},
        # uvicorn's loggers write through the root's handler, as everything else does; its
        # access log is off (the app writes its own: observability/access_log.py).
        "loggers": {
            name: {"handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure_logging(log_format: LogFormat, level: str, *, stream: str = "stdout") -> None:
    """Set up logging in this process (for commands that uvicorn does not start)."""
    import logging.config

    logging.config.dictConfig(logging_config(log_format, level, stream=stream))
