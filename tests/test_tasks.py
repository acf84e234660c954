"""The background task runner delivers results on the UI thread, never inside submit()."""

from __future__ import annotations

import threading
from concurrent.futures import Future

from livedesk.ui.tasks import TaskRunner


def test_results_arrive_later_on_the_ui_thread(qtbot):
    runner = TaskRunner()
    got: list[tuple[int, bool]] = []
    runner.submit(lambda: 42, on_done=lambda r: got.append((r, threading.current_thread() is threading.main_thread())))
    qtbot.waitUntil(lambda: got == [(42, True)])
    runner.shutdown()


def test_errors_reach_the_error_callback(qtbot):
    runner = TaskRunner()
    errors: list[BaseException] = []

    def boom() -> None:
        raise ValueError("bad row 7")

    runner.submit(boom, on_error=errors.append)
    qtbot.waitUntil(lambda: len(errors) == 1)
    assert str(errors[0]) == "bad row 7"
    runner.shutdown()


def test_a_job_already_finished_when_submitted_is_still_delivered_asynchronously(qtbot, monkeypatch):
    runner = TaskRunner()

    def finished_at_once(fn, *args):
        future = Future()
        future.set_result(fn(*args))
        return future

    monkeypatch.setattr(runner._executor, "submit", finished_at_once)
    got: list[int] = []
    runner.submit(lambda: 7, on_done=got.append)
    assert got == []  # a caller still setting itself up must not be called back mid-way
    qtbot.waitUntil(lambda: got == [7])
    runner.shutdown()


def test_work_asked_for_after_shutdown_is_dropped_quietly(qtbot):
    runner = TaskRunner()
    runner.shutdown()
    got: list[int] = []
    assert runner.submit(lambda: 1, on_done=got.append).cancelled()
    qtbot.wait(20)
    assert got == []


def test_jobs_still_queued_at_shutdown_are_dropped_quietly(qtbot, caplog):
    runner = TaskRunner()
    started, release = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        release.wait(5)

    runner.submit(slow)
    started.wait(5)
    got: list[object] = []
    queued = runner.submit(lambda: 1, on_done=got.append, on_error=got.append)
    threading.Timer(0.05, release.set).start()
    runner.shutdown()  # cancels the queued job; its report must not raise CancelledError
    qtbot.wait(20)
    assert queued.cancelled()
    assert got == []
    assert "exception calling callback" not in caplog.text
