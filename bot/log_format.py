"""Log lines as JSON objects (config ``observability.json_logs``), for a log shipper.

python-json-logger does the JSON (escaping, exception text, extra fields); this module only
names the fields and writes the time as ISO 8601 in the configured zone, as every time the
bot shows people is.
"""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo

from pythonjsonlogger.json import JsonFormatter

FIELDS = ("asctime", "levelname", "name", "message")
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger", "exc_info": "exception"}


class ZonedJsonFormatter(JsonFormatter):
    def __init__(self, zone: tzinfo) -> None:
        super().__init__(
            FIELDS,
            rename_fields=RENAMED,
            json_ensure_ascii=False,  # member text and catalogue lines stay readable Chinese
        )
        self._zone = zone

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, self._zone).isoformat(timespec="milliseconds")


def use_json_logs(zone: tzinfo, root: logging.Logger | None = None) -> None:
    """Switch every handler of the root logger (set up by the command line) to JSON lines."""
    logger = root if root is not None else logging.getLogger()
    if not logger.handlers:
        logger.addHandler(logging.StreamHandler())
    for handler in logger.handlers:
        handler.setFormatter(ZonedJsonFormatter(zone))


__all__ = ["ZonedJsonFormatter", "use_json_logs"]
