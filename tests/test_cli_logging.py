"""The CLI's log filter: a KeyboardInterrupt logged by a library (SQLAlchemy's pool, when Ctrl-C lands
while a connection is returned) must not print a traceback beside the one "interrupted" line."""

from __future__ import annotations

import logging

import pytest

from paperfeed.cli.app import _NoInterruptTracebacks


def record_with(exc: BaseException) -> logging.LogRecord:
    try:
        raise exc
    except BaseException as caught:  # noqa: BLE001
        info = (type(caught), caught, caught.__traceback__)
    return logging.LogRecord("sqlalchemy.pool.impl.QueuePool", logging.ERROR, __file__, 1,
                             "Exception during reset or similar", None, info)


@pytest.mark.parametrize(("exc", "shown"), [(KeyboardInterrupt(), False), (ValueError("real problem"), True)])
def test_only_interrupts_are_dropped(exc, shown):
    assert _NoInterruptTracebacks().filter(record_with(exc)) is shown


def test_a_record_without_an_exception_is_kept():
    record = logging.LogRecord("paperfeed", logging.WARNING, __file__, 1, "a warning", None, None)
    assert _NoInterruptTracebacks().filter(record) is True
