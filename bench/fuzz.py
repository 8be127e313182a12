"""The long fuzz run: every parser of outside data (tests/fuzz_targets.py), millions of inputs.

    .venv/bin/python bench/fuzz.py [--inputs 1000000] [--seconds 0] [--target NAME ...]

Inputs are mutations of each target's seed corpus (byte flips, inserted hostile text, cut
and spliced seeds, repeated slices) and random bytes: cheap enough for tens of thousands a
second, where hypothesis (the suite's short run) manages a few thousand. Each target runs in a
child process under a 1 GB address-space limit; the run fails on the first input that raises
anything but the parser's own refusal (saved under bench/fuzz-crashes/), and prints inputs,
seconds and peak RSS per target. Deterministic for a given --seed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HOSTILE = [
    b"\x1b",
    b"\x1b]52;c;aGVsbG8=\x07",
    b"\x1b[2J\x1b[H",
    "\u202e".encode(),
    b"\xc2\x9b",
    b"[link=http://x]L[/link]",
    b"\x00",
    b"\n",
    b"\r\n",
    b'"',
    b"'",
    b"\\",
    b"/33",
    b"::1",
    b"-1",
    b"99999999999999999999",
    b"NaN",
    b"{}",
    b"[]",
    b"*a",
    b"&a",
    b"!!python/object",
    b"F 1 1 0\n",
    b"COMMIT\n",
    b"*nat\n",
    b"-A ",
]
CRASHES = Path(__file__).parent / "fuzz-crashes"


def mutate(rng: random.Random, seeds: list[bytes]) -> bytes:
    data = bytearray(rng.choice(seeds))
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        at = rng.randint(0, len(data))
        if op == 0 and data:  # flip bytes
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif op == 1:  # hostile text in
            data[at:at] = rng.choice(HOSTILE)
        elif op == 2:  # a slice out
            del data[at : at + rng.randint(1, 64)]
        elif op == 3:  # cut short
            del data[at:]
        elif op == 4:  # splice another seed
            other = rng.choice(seeds)
            cut = rng.randint(0, len(other))
            data[at:] = other[cut:]
        elif op == 5 and data:  # repeat a slice
            end = min(len(data), at + rng.randint(1, 32))
            data[at:at] = data[at:end] * rng.randint(2, 50)
        else:  # random bytes in
            data[at:at] = rng.randbytes(rng.randint(1, 16))
    return bytes(data[:262144])


def run_target(name: str, inputs: int, seconds: float, seed: int, out: dict[str, object]) -> None:
    from tests.fuzz_targets import targets

    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # bounded memory, or MemoryError
    target = next(t for t in targets() if t.name == name)
    rng = random.Random(seed)
    start = time.monotonic()
    done = 0
    try:
        for done in range(1, inputs + 1):
            data = rng.randbytes(rng.randint(0, 256)) if rng.random() < 0.1 else None
            data = data if data is not None else mutate(rng, target.seeds)
            target.run(data)
            if seconds and done % 1000 == 0 and time.monotonic() - start > seconds:
                break
    except BaseException:
        CRASHES.mkdir(exist_ok=True)
        path = CRASHES / f"{name}-{seed}-{done}.bin"
        path.write_bytes(data or b"")
        out.update(error=traceback.format_exc(limit=6), input=str(path))
    out.update(
        inputs=done,
        seconds=time.monotonic() - start,
        rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--inputs", type=int, default=1_000_000, help="inputs per target")
    ap.add_argument("--seconds", type=float, default=0, help="stop a target after this (0: never)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--target", action="append", help="only these (default: all)")
    args = ap.parse_args()
    from tests.fuzz_targets import targets

    names = args.target or [t.name for t in targets()]
    failed = 0
    print(f"{'TARGET':<18} {'INPUTS':>10} {'SECONDS':>8} {'PER S':>7} {'PEAK RSS':>9}  RESULT")
    with multiprocessing.Manager() as manager:
        for name in names:
            out = manager.dict()
            p = multiprocessing.Process(
                target=run_target, args=(name, args.inputs, args.seconds, args.seed, out)
            )
            p.start()
            p.join()
            result = dict(out)
            ok = p.exitcode == 0 and "error" not in result
            failed += not ok
            n, s = int(result.get("inputs", 0)), float(result.get("seconds", 0.0))
            print(
                f"{name:<18} {n:>10,} {s:>8.1f} {n / s if s else 0:>7,.0f} "
                f"{float(result.get('rss_mb', 0)):>7.0f}MB  "
                + ("no crash" if ok else f"CRASH ({result.get('input', p.exitcode)})"),
                flush=True,
            )
            if not ok and "error" in result:
                print(result["error"], file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
