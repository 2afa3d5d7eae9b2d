import logging

import pytest

from cityioc.core.failures import FailureNotice

log = logging.getLogger("tests.failures")


def test_a_run_of_failures_is_logged_once_and_the_recovery_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    notice = FailureNotice(log, "the job")
    with caplog.at_level(logging.INFO, logger="tests.failures"):
        notice.succeeded()  # nothing to say yet
        for _ in range(3):
            try:
                raise OSError("database down")
            except OSError:
                notice.failed()
        notice.succeeded()
        notice.succeeded()
    said = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert said == [("ERROR", "the job failed; will retry"), ("INFO", "the job works again")]
    assert caplog.records[0].exc_info is not None  # the trace of the first failure
