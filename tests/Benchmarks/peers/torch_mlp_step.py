"""The peer side of MlpTrainingStepBenchmarks: the same MLP training step in PyTorch (CPU).

Usage: python3 tests/Benchmarks/peers/torch_mlp_step.py [--threads 1 2] [--batches 1 32 128 1280]
Prints one line per case: threads, batch, median microseconds per step over repeated timings.
"""
import argparse
import statistics
import time

import torch


def measure(batch: int, threads: int, seconds: float = 3.0) -> float:
    torch.set_num_threads(threads)
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
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        n = 20
        start = time.perf_counter()
        for _ in range(n):
            step()
        samples.append((time.perf_counter() - start) / n)
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 32, 128, 1280])
    args = parser.parse_args()
    print(f"torch {torch.__version__}")
    for threads in args.threads:
        for batch in args.batches:
            print(f"threads={threads} batch={batch} us_per_step={measure(batch, threads):.1f}", flush=True)


if __name__ == "__main__":
    main()
