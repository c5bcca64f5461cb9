"""The peer side of MlpTrainingStepBenchmarks: the same MLP training step in PyTorch (CPU).

Usage: python3 tests/Benchmarks/peers/torch_mlp_step.py [--threads 1 2] [--batches 1 32 128 1280]
Prints one line per case: threads, batch, median microseconds per step over repeated timings,
and the CPU time per wall time of the timed steps (≈ the cores actually used).

Debian's python3-torch runs its matrix products through libblas.so.3, which is OpenBLAS's pthread
build with a thread pool of its own: torch.set_num_threads does not reach it, and a "1 thread"
run would use every core for its GEMMs. The BLAS pool is therefore set to the same count through
openblas_set_num_threads (the cpu/wall column shows the effect). OpenMP's threads are told to
sleep when idle (OMP_WAIT_POLICY=PASSIVE, unless set): spinning, they take the cores OpenBLAS's
threads need, and two-thread steps ran 2.8× slower (54 ms instead of 19 ms at batch 1280).
"""
import argparse
import ctypes
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402 (after the OpenMP setting it reads at load)


def blas_libraries():
    """Every loaded shared library that exports openblas_set_num_threads."""
    seen = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in path and path.startswith("/") and path not in seen:
                seen.add(path)
                try:
                    library = ctypes.CDLL(path)
                    library.openblas_set_num_threads  # raises AttributeError when absent
                    yield library
                except (OSError, AttributeError):
                    pass


def set_threads(threads: int) -> None:
    torch.set_num_threads(threads)
    for library in blas_libraries():
        library.openblas_set_num_threads(threads)


def measure(batch: int, threads: int, seconds: float = 3.0) -> tuple[float, float]:
    set_threads(threads)
    torch.manual_seed(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(49, 400), torch.nn.ReLU(),
        torch.nn.Linear(400, 400), torch.nn.ReLU(),
        torch.nn.Linear(400, 400), torch.nn.ReLU(),
        torch.nn.Linear(400, 8),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.randn(batch, 49)
    target = torch.randn(batch, 8)
    loss_fn = torch.nn.MSELoss()

    def step():
        optimizer.zero_grad(set_to_none=False)
        loss = loss_fn(model(x), target)
        loss.backward()
        optimizer.step()

    for _ in range(50):  # warm-up
        step()
    samples = []
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    deadline = wall_start + seconds
    while time.perf_counter() < deadline:
        n = 20
        start = time.perf_counter()
        for _ in range(n):
            step()
        samples.append((time.perf_counter() - start) / n)
    cores = (time.process_time() - cpu_start) / (time.perf_counter() - wall_start)
    return statistics.median(samples) * 1e6, cores


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 32, 128, 1280])
    args = parser.parse_args()
    print(f"torch {torch.__version__}")
    for threads in args.threads:
        for batch in args.batches:
            microseconds, cores = measure(batch, threads)
            print(f"threads={threads} batch={batch} us_per_step={microseconds:.1f} cpu_per_wall={cores:.2f}", flush=True)


if __name__ == "__main__":
    main()
