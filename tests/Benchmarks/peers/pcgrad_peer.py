"""The peer side of PcGradBenchmarks: Pytorch-PCGrad's `_project_conflicting` (PyTorch CPU).

The peer's code is NOT part of this repository. Get a snapshot of the public repository
WeiChengTseng/Pytorch-PCGrad outside the repo first, for example

    git clone https://github.com/WeiChengTseng/Pytorch-PCGrad /tmp/pcgrad-peer
    # or, from a bare mirror:  git -C <mirror> worktree add --detach /tmp/pcgrad-peer HEAD

then run

    python3 tests/Benchmarks/peers/pcgrad_peer.py --peer /tmp/pcgrad-peer [--threads 1 2]
        [--tasks 10] [--parameters 1000000] [--repeats 2]

The script imports that snapshot's `pcgrad` module and times `PCGrad._project_conflicting` on T
random float32 task gradients of P parameters, all parameters shared (has_grads all ones), with
torch.set_num_threads(n). Inputs are the same shape as the C# benchmark (T x P, N(0,1) entries);
each call gets its own shuffled copy as the peer itself shuffles the list in place. Prints one
line per thread count: the median and the best of the timed calls in milliseconds, taken as the
better of `--repeats` independent timing runs (the cores are shared with other work).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

import torch


def load_peer(path: str):
    sys.path.insert(0, os.path.abspath(path))
    import pcgrad  # noqa: E402  (the peer's module, from the snapshot on sys.path)

    return pcgrad


def time_projection(pcgrad_module, tasks: int, parameters: int, threads: int, seconds: float) -> tuple[float, float]:
    torch.set_num_threads(threads)
    generator = torch.Generator().manual_seed(1)
    grads = [torch.randn(parameters, generator=generator) for _ in range(tasks)]
    has_grads = [torch.ones(parameters) for _ in range(tasks)]
    dummy = torch.nn.Parameter(torch.zeros(1))
    projector = pcgrad_module.PCGrad(torch.optim.SGD([dummy], lr=0.1), reduction="mean")

    def call():
        projector._project_conflicting(list(grads), has_grads)

    for _ in range(2):  # warm-up
        call()
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(samples) < 5:
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e3, min(samples) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer", default="/tmp/pcgrad-peer", help="checked-out Pytorch-PCGrad snapshot (outside the repo)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--parameters", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    pcgrad_module = load_peer(args.peer)
    try:
        commit = subprocess.run(["git", "-C", args.peer, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    print(f"torch {torch.__version__}; Pytorch-PCGrad {commit}; T={args.tasks} P={args.parameters}")
    for threads in args.threads:
        runs = [time_projection(pcgrad_module, args.tasks, args.parameters, threads, args.seconds) for _ in range(args.repeats)]
        median, best = min(runs)
        print(f"threads={threads} median_ms={median:.1f} best_ms={best:.1f}", flush=True)


if __name__ == "__main__":
    main()
