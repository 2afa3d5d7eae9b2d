"""The state machine every stateful rule kind shares: idle → pending → firing → (clear) idle.

``trigger`` must hold for ``for_ms`` before the rule fires; once firing it stays so until ``clear``
holds for ``clear_for_ms`` (hysteresis: the clear condition is separate from the trigger). While
firing, each evaluation where the trigger holds again is a repeat. Unknown (None) values change
nothing. State is a small JSON dict so it can be persisted as it is:
``p`` phase (``i``, ``p``, ``f``), ``s`` pending since, ``c`` clear pending since, ``t`` the data
time of the last evaluation, ``k`` the last trigger value.
"""

from __future__ import annotations

from typing import Any, Literal

Event = Literal["fire", "repeat", "clear"]
State = dict[str, Any]


def is_stale(st: State, t: int) -> bool:
    """A reading older than the last one evaluated (out-of-order delivery): ignore it."""
    return bool(t < st.get("t", t))


def step(
    st: State, trigger: bool | None, clear: bool | None, t: int, for_ms: int, clear_for_ms: int
) -> list[Event]:
    st["t"] = t
    if trigger is not None:
        st["k"] = trigger
    phase = st.get("p", "i")
    if phase == "i":
        if trigger:
            st["p"], st["s"] = "p", t
            return _promote(st, t, for_ms)
        return []
    if phase == "p":
        if trigger is False:
            st["p"] = "i"
            st.pop("s", None)
            return []
        return _promote(st, t, for_ms)
    # firing
    if clear:
        st.setdefault("c", t)
        if t - st["c"] >= clear_for_ms:
            _reset(st)
            return ["clear"]
        return []
    if clear is False:
        st.pop("c", None)
    return ["repeat"] if trigger else []


def tick(st: State, now: int, for_ms: int, clear_for_ms: int) -> list[Event]:
    """Let time pass without a reading: a pending trigger or clear may have lasted long enough."""
    phase = st.get("p", "i")
    if phase == "p" and st.get("k") and now - st["s"] >= for_ms:
        st["p"] = "f"
        st.pop("s", None)
        return ["fire"]
    if phase == "f" and "c" in st and now - st["c"] >= clear_for_ms:
        _reset(st)
        return ["clear"]
    return []


def firing(st: State) -> bool:
    return st.get("p") == "f"


def _promote(st: State, t: int, for_ms: int) -> list[Event]:
    if t - st["s"] >= for_ms:
        st["p"] = "f"
        st.pop("s", None)
        st.pop("c", None)
        return ["fire"]
    return []


def _reset(st: State) -> None:
    st["p"] = "i"
    for key in ("s", "c"):
        st.pop(key, None)
