import gc

from cityioc.core.gc_policy import THRESHOLDS, server_gc


def test_server_gc_freezes_what_exists_and_restores_the_defaults_after() -> None:
    gc.unfreeze()  # an app started by an earlier test froze its objects
    before = gc.get_threshold()
    with server_gc():
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
