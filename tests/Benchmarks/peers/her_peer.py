"""The peer side of HerSampleBenchmarks: stable-baselines3's HerReplayBuffer.sample on BitFlip data.

The buffer is filled through SB3's own add() API with 40-bit BitFlip episodes of exactly 40 steps
(random start state, random goal, random bit flips, truncated by the time limit), from 8 parallel
envs, for capacity + 20 steps so the ring has wrapped, one episode per env is unfinished and one
per env has lost its first step, exactly like the C# benchmark's data. Then sample(batch) is timed
with the 'future' strategy and 4 sampled goals per real one (her_ratio 0.8, SB3's defaults).

SB3 and Gymnasium are not installed: extract their public repositories outside this repository and
put them on PYTHONPATH, e.g.

    git --git-dir=<mirror of DLR-RM/stable-baselines3> archive HEAD | tar -x -C /tmp/sb3-peer
    git --git-dir=<mirror of Farama-Foundation/Gymnasium> archive HEAD gymnasium | tar -x -C /tmp/gym-peer
    PYTHONPATH=/tmp/sb3-peer:/tmp/gym-peer /usr/bin/python3 tests/Benchmarks/peers/her_peer.py

Uses Debian's python3-numpy and python3-torch. Prints one line per case: buffer size, batch,
threads, median microseconds per sample() call over repeated timings.
"""
import argparse
import statistics
import time

import numpy as np
import torch

from stable_baselines3.common.envs import BitFlippingEnv
from stable_baselines3.common.vec_env import DummyVecEnv
from stable_baselines3.her.her_replay_buffer import HerReplayBuffer

BITS = 40
EPISODE = 40
ENVS = 8


def filled_buffer(capacity: int, seed: int = 1) -> HerReplayBuffer:
    env = DummyVecEnv([lambda: BitFlippingEnv(n_bits=BITS, max_steps=EPISODE)])
    buffer = HerReplayBuffer(
        capacity,
        env.observation_space,
        env.action_space,
        env=env,
        device="cpu",
        n_envs=ENVS,
        n_sampled_goal=4,
        goal_selection_strategy="future",
    )
    rng = np.random.default_rng(seed)
    state = rng.integers(0, 2, size=(ENVS, BITS), dtype=np.int8)
    goal = rng.integers(0, 2, size=(ENVS, BITS), dtype=np.int8)
    step = 0
    rows = capacity // ENVS + 20
    rows_index = np.arange(ENVS)
    for _ in range(rows):
        action = rng.integers(0, BITS, size=ENVS)
        next_state = state.copy()
        next_state[rows_index, action] ^= 1
        step += 1
        success = np.all(next_state == goal, axis=1)
        truncated = step == EPISODE
        done = success | truncated
        reward = np.where(success, 0.0, -1.0).astype(np.float32)
        obs = {"observation": state, "achieved_goal": state, "desired_goal": goal}
        next_obs = {"observation": next_state, "achieved_goal": next_state, "desired_goal": goal}
        infos = [{"TimeLimit.truncated": bool(truncated and not s)} for s in success]
        buffer.add(obs, next_obs, action.reshape(ENVS, 1), reward, done, infos)
        state = next_state
        if truncated:
            step = 0
            state = rng.integers(0, 2, size=(ENVS, BITS), dtype=np.int8)
            goal = rng.integers(0, 2, size=(ENVS, BITS), dtype=np.int8)
    return buffer


def measure(buffer: HerReplayBuffer, batch: int, seconds: float) -> float:
    for _ in range(20):  # warm-up
        buffer.sample(batch)
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        n = 10
        start = time.perf_counter()
        for _ in range(n):
            buffer.sample(batch)
        samples.append((time.perf_counter() - start) / n)
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--batches", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--threads", type=int, nargs="+", default=[1])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    print(f"numpy {np.__version__}, torch {torch.__version__}")
    for size in args.sizes:
        start = time.perf_counter()
        buffer = filled_buffer(size)
        print(f"filled {size} transitions in {time.perf_counter() - start:.1f} s", flush=True)
        np.random.seed(0)
        for threads in args.threads:
            torch.set_num_threads(threads)
            for batch in args.batches:
                us = measure(buffer, batch, args.seconds)
                print(f"size={size} batch={batch} threads={threads} us_per_sample={us:.1f}", flush=True)
        del buffer


if __name__ == "__main__":
    main()
