"""The peer side of CartPoleStepBenchmarks: Gymnasium's numpy CartPoleVectorEnv.step.

Gymnasium is not vendored: point PYTHONPATH at a Gymnasium checkout (its `gymnasium/`
package needs numpy, cloudpickle, typing_extensions and farama_notifications; the last is only
imported for a notice and may be an empty module). Example:

    PYTHONPATH=/tmp/gymnasium-peer:/tmp/gym-stubs /usr/bin/python3 \
        tests/Benchmarks/peers/cartpole_peer.py --envs 512 4096

For each N, steps a CartPoleVectorEnv(num_envs=N) (CartPole-v1 physics, next-step autoreset,
float64 state) with random actions drawn beforehand from a pool of 64 batches, and prints the
best and median of several timed rounds in single-environment steps per second. numpy runs
these element-wise kernels on one thread.
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import gymnasium  # noqa: E402
from gymnasium.envs.classic_control.cartpole import CartPoleVectorEnv  # noqa: E402


def measure(num_envs: int, rounds: int, seconds: float) -> tuple[float, float]:
    env = CartPoleVectorEnv(num_envs=num_envs)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    pool = rng.integers(0, 2, size=(64, num_envs))
    for i in range(200):  # warm-up
        env.step(pool[i % 64])
    rates = []
    for _ in range(rounds):
        steps = 0
        start = time.perf_counter()
        deadline = start + seconds
        while time.perf_counter() < deadline:
            for i in range(64):
                env.step(pool[i])
            steps += 64
        elapsed = time.perf_counter() - start
        rates.append(steps * num_envs / elapsed)
    env.close()
    return max(rates), statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--envs", type=int, nargs="+", default=[512, 4096])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    print(f"gymnasium {gymnasium.__version__}, numpy {np.__version__}")
    for n in args.envs:
        best, median = measure(n, args.rounds, args.seconds)
        print(f"envs={n} best_env_steps_per_s={best / 1e6:.1f}M median_env_steps_per_s={median / 1e6:.1f}M "
              f"us_per_vector_step={n / best * 1e6:.1f}", flush=True)


if __name__ == "__main__":
    main()
