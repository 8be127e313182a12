"""Each parser of outside data under a short hypothesis run (seconds in all): random bytes,
mutations of the seed corpus and hostile characters must give a result or the parser's own
refusal, never another exception. The long run is bench/fuzz.py."""

from __future__ import annotations

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from .fuzz_targets import Target, targets  # noqa: E402

HOSTILE = ["\x1b", "\x1b]52;c;aGk=\x07", "\u202e", "\x9b", "[link=x]", "\x00", "\n", "/33", "::"]


def _mutated(t: Target) -> st.SearchStrategy[bytes]:
    """A seed with a slice replaced by random bytes, or hostile text, or cut short."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        seed = draw(st.sampled_from(t.seeds))
        at = draw(st.integers(0, len(seed)))
        end = draw(st.integers(at, min(len(seed), at + 64)))
        piece = draw(
            st.one_of(
                st.binary(max_size=32),
                st.sampled_from(HOSTILE).map(str.encode),
                st.text(max_size=16).map(str.encode),
            )
        )
        return seed[:at] + piece + seed[end:]

    return st.one_of(build(), st.binary(max_size=512))


@pytest.mark.parametrize("target", targets(), ids=lambda t: t.name)
def test_fuzz_parser_only_refuses_never_crashes(target: Target):
    for seed in target.seeds:
        target.run(seed)

    @settings(
        max_examples=target.examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(_mutated(target))
    def run(data: bytes) -> None:
        target.run(data)

    run()
