"""serialize: a closed review's trail through JSON and back, against the standard library on plain dicts.

The library side turns the review's events into JSON text with
:func:`~ethical_decisions.serialization.dumps_trail` and reads them back,
validated, with :func:`~ethical_decisions.serialization.loads_trail`. The
baseline runs :mod:`json` on the equivalent plain dicts (the very dicts the
library's JSON holds), with the same settings (sorted keys, no spaces), and
reads the text back into dicts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from harness import Figure, compare, ratio_figure
from workload import filter_logging_at_warning, service, walk

from ethical_decisions.serialization import dumps_trail, event_to_dict, loads_trail

__all__ = ["run"]

TARGET = 1.5


def run(quick: bool) -> list[Figure]:
    """Round-trip one closed review *rounds* times each way; the ``serialize`` figure."""
    rounds, runs = (5, 1) if quick else (500, 15)
    filter_logging_at_warning()
    edm = service()
    review = walk(edm, 0)
    trail = list(edm.trail(review.review_id))
    dicts = [event_to_dict(e) for e in trail]
    assert loads_trail(dumps_trail(trail)) == trail, "the trail must survive the round trip"
    assert json.loads(dumps_trail(trail)) == dicts, "the baseline must handle the same data"

    def library() -> Callable[[], object]:
        def go() -> None:
            for _ in range(rounds):
                loads_trail(dumps_trail(trail))

        return go

    def baseline() -> Callable[[], object]:
        def go() -> None:
            for _ in range(rounds):
                text = json.dumps(dicts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                back: Any = json.loads(text)
                assert len(back) == len(dicts)

        return go

    lib, base = compare(library, baseline, runs=runs)
    return [ratio_figure("serialize", TARGET, lib, base, per=rounds, unit="round trip")]
