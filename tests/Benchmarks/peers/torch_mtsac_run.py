"""The peer side of `mtrl bench tests/Benchmarks/Runtime/mt_sac_pointmass_run.mtrl --env pointmass
--envs 10`: the same whole MT-SAC training run in plain PyTorch (CPU), written for this project.

Usage:
    /usr/bin/python3 tests/Benchmarks/peers/torch_mtsac_run.py [--threads 1] [--warmup 3000] [--steps 20000]
    /usr/bin/python3 tests/Benchmarks/peers/torch_mtsac_run.py --check-env tests/Benchmarks/peers/pointmass_trajectory.json

The run, as `mtrl bench` runs the spec (src/Runtime/Algorithms/ActorCriticTrainer.cs Step,
src/Runtime/Algorithms/OffPolicyLoop.cs):
  Environment. 10 PointMass environments, environment i running task i mod 10 of the ten-task suite,
  reset once with the spec's seed (below, ported exactly).
  Acting. Once per vector step, on the 10 observations before the step: while fewer than --learning-starts
  (the spec's warmup, 1,000) transitions have been collected, actions uniform in [-1, 1]^2; after it,
  one actor forward at 10 rows, a = tanh(mu + exp(log_std) eps), eps ~ N(0, 1), and log pi (no gradient).
  Replay. A preallocated numpy ring of capacity // 10 * 10 = 100,000 transitions (obs, action, reward,
  next obs, terminated, task); next obs is the final observation where an episode ended (terminated
  or truncated), and only terminated stops the bootstrap. Batches of 128 drawn uniformly with
  replacement from the stored transitions.
  Updates. After the vector step that brings the transitions to T (from T - 10), floor(T / 2) - floor((T - 10) / 2)
  updates (train_every 2: 5 per vector step), none while T < learning-starts: the MT-SAC update of
  torch_mtsac_update.py (imported from it: twin 3x400 critics and a 3x400 tanh-Gaussian actor over
  concat(obs, onehot(task)), one learned temperature per task, Adam 3e-4, gamma 0.99, tau 0.005),
  here with 6 observation columns and 2 action dims (target entropy -2).
Measured: --warmup transitions trained first (default 3,000: the spec's 1,000 + 2,000, as `mtrl bench`
does), then --steps transitions timed; printed: transitions/s, updates/s, milliseconds of the whole run
per update, and the split of the timed run into acting, environment steps, storing and updates
(sampling included).
Threads. As torch_mtsac_update.py: torch and every loaded OpenBLAS held to --threads
(torch_mlp_step.set_threads), OMP_WAIT_POLICY=PASSIVE unless set, one inter-op thread.

The environment (PointMassVec below) is a numpy port of our PointMass, float32 throughout, in the
order of operations of the C# sources, so it reproduces them bit for bit:
  src/Runtime/Environments/PointMassTaskSuite.cs   the ten tasks (mass, friction, wind, start and goal squares);
  src/Runtime/Environments/PointMassOptions.cs     dt 0.1, max force 1, arena [-1, 1]^2, success radius 0.05,
                                                   100-step episodes, terminate on success;
  src/Cli/TrainingEnvironments.cs                  `--env pointmass`: goal in the observation, dense reward;
  src/Kernels/Environments/PointMassStepKernel.cs  F = maxForce clamp(a, -1, 1) + wind - friction v;
                                                   v += dt (F / m); p += dt v; a wall stops that velocity
                                                   component; reward -|p - g|; terminated = |p - g| <= 0.05;
                                                   truncated = steps >= 100; a finished environment writes its
                                                   final observation, then starts its next episode in the same
                                                   step (same-step autoreset);
  src/Kernels/Environments/PointMassRules.cs       start and goal drawn from block 0 of the episode's stream:
                                                   x, y uniform in the start square (words 0, 1), goal in the goal
                                                   square (words 2, 3), velocity 0; observation (x, y, vx, vy, gx, gy);
  src/Kernels/Environments/EnvironmentRandom.cs    Philox4x32-10, key = seed, counter = (draw, episode, env, 0);
  src/Kernels/Random/Philox4x32.cs, RandomBits.cs  the rounds; uniform = low + (high - low) ((bits >> 8) 2^-24).
--check-env FILE replays the actions of a trajectory our C# environment wrote (the test
tests/Cli.Tests/PointMassTrajectoryTests.cs writes and checks tests/Benchmarks/peers/pointmass_trajectory.json)
and compares observations, final observations, rewards, terminated and truncated; it needs only numpy,
reports the largest difference and exits with status 1 above 1e-5 or on any flag that differs.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

F32 = np.float32
MASK32 = 0xFFFFFFFF

# Philox4x32-10 constants (src/Kernels/Random/Philox4x32.cs).
PHILOX_M0, PHILOX_M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
PHILOX_W0, PHILOX_W1 = 0x9E3779B9, 0xBB67AE85
EPSILON24 = F32(1.0 / (1 << 24))

# The ten-task suite (src/Runtime/Environments/PointMassTaskSuite.cs): mass, friction, wind x, wind y,
# goal centre x, y; every task starts in the square of half width 0.1 around the origin, goals in a
# square of half width 0.1 around the centre.
SUITE = [
    (1.0, 0.5, 0.0, 0.0, 0.700, 0.000),
    (0.5, 0.5, 0.0, 0.0, 0.566, 0.411),
    (2.0, 0.5, 0.0, 0.0, 0.216, 0.666),
    (1.0, 0.1, 0.0, 0.0, -0.216, 0.666),
    (1.0, 1.5, 0.0, 0.0, -0.566, 0.411),
    (1.0, 0.5, 0.3, 0.0, -0.700, 0.000),
    (1.0, 0.5, 0.0, -0.3, -0.566, -0.411),
    (1.5, 0.2, -0.2, 0.2, -0.216, -0.666),
    (0.7, 1.0, 0.2, 0.2, 0.216, -0.666),
    (1.2, 0.8, -0.3, -0.1, 0.566, -0.411),
]
START_HALF_WIDTH = 0.1
GOAL_HALF_WIDTH = 0.1


def philox4x32_10(c0, c1, c2, c3, seed: int):
    """Philox4x32-10 over arrays of counters (uint32 values held in uint64), key = the 64-bit seed."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) & np.uint64(MASK32) for c in (c0, c1, c2, c3))
    k0, k1 = seed & MASK32, (seed >> 32) & MASK32
    for r in range(10):
        if r > 0:
            k0, k1 = (k0 + PHILOX_W0) & MASK32, (k1 + PHILOX_W1) & MASK32
        p0 = PHILOX_M0 * c0
        p1 = PHILOX_M1 * c2
        n0 = (p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0)
        n2 = (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1)
        c1 = p1 & np.uint64(MASK32)
        c3 = p0 & np.uint64(MASK32)
        c0, c2 = n0, n2
    return c0, c1, c2, c3


def uniform(bits, low, high):
    """EnvironmentRandom.Uniform in float32: low + (high - low) * ((bits >> 8) * 2^-24)."""
    unit = (bits >> np.uint64(8)).astype(F32) * EPSILON24
    return low + (high - low) * unit


class PointMassVec:
    """N PointMass environments of `--env pointmass` (goal in the observation, dense reward), numpy float32."""

    WIDTH = 6

    def __init__(self, n: int, tasks=SUITE, dt=0.1, max_force=1.0, arena=1.0, success_radius=0.05, max_steps=100):
        self.n = n
        self.task_ids = np.arange(n) % len(tasks)
        table = np.array(tasks, dtype=F32)[self.task_ids]
        self.mass, self.friction, self.wind_x, self.wind_y = table[:, 0], table[:, 1], table[:, 2], table[:, 3]
        start_half, goal_half = F32(START_HALF_WIDTH), F32(GOAL_HALF_WIDTH)
        zero = np.zeros(n, dtype=F32)
        # Bounds of the start and goal squares, each computed in float32 as the C# kernel does.
        self.start_x = (zero - start_half, zero + start_half)
        self.start_y = (zero - start_half, zero + start_half)
        self.goal_x = (table[:, 4] - goal_half, table[:, 4] + goal_half)
        self.goal_y = (table[:, 5] - goal_half, table[:, 5] + goal_half)
        self.dt, self.max_force, self.arena = F32(dt), F32(max_force), F32(arena)
        self.success_radius, self.max_steps = F32(success_radius), max_steps
        self.px, self.py, self.vx, self.vy, self.gx, self.gy = (np.zeros(n, dtype=F32) for _ in range(6))
        self.steps = np.zeros(n, dtype=np.int64)
        self.episodes = np.zeros(n, dtype=np.uint64)
        self.seed = 0

    def _start_episodes(self, envs: np.ndarray, episodes: np.ndarray) -> None:
        """PointMassRules.StartEpisode for the given environments: block 0 of (seed, env, episode)."""
        x0, x1, x2, x3 = philox4x32_10(0, episodes, envs, 0, self.seed)
        self.px[envs] = uniform(x0, self.start_x[0][envs], self.start_x[1][envs])
        self.py[envs] = uniform(x1, self.start_y[0][envs], self.start_y[1][envs])
        self.gx[envs] = uniform(x2, self.goal_x[0][envs], self.goal_x[1][envs])
        self.gy[envs] = uniform(x3, self.goal_y[0][envs], self.goal_y[1][envs])
        self.vx[envs] = 0
        self.vy[envs] = 0
        self.steps[envs] = 0
        self.episodes[envs] = episodes

    def _observations(self) -> np.ndarray:
        return np.stack([self.px, self.py, self.vx, self.vy, self.gx, self.gy], axis=1)

    def reset(self, seed: int) -> np.ndarray:
        self.seed = seed
        envs = np.arange(self.n)
        self._start_episodes(envs, np.zeros(self.n, dtype=np.uint64))
        return self._observations()

    def step(self, actions: np.ndarray):
        """One step of every environment; returns observations (after autoreset), rewards, terminated,
        truncated and final observations (rows valid where terminated or truncated)."""
        actions = np.asarray(actions, dtype=F32)
        ax = np.clip(actions[:, 0], F32(-1), F32(1))
        ay = np.clip(actions[:, 1], F32(-1), F32(1))
        vx, vy = self.vx, self.vy
        fx = self.max_force * ax + self.wind_x - self.friction * vx
        fy = self.max_force * ay + self.wind_y - self.friction * vy
        vx = vx + self.dt * (fx / self.mass)
        vy = vy + self.dt * (fy / self.mass)
        px = self.px + self.dt * vx
        py = self.py + self.dt * vy
        wall = self.arena
        hit_x, hit_y = np.abs(px) > wall, np.abs(py) > wall
        px = np.where(px > wall, wall, np.where(px < -wall, -wall, px)).astype(F32)
        py = np.where(py > wall, wall, np.where(py < -wall, -wall, py)).astype(F32)
        vx = np.where(hit_x, F32(0), vx).astype(F32)
        vy = np.where(hit_y, F32(0), vy).astype(F32)
        self.px, self.py, self.vx, self.vy = px, py, vx, vy
        self.steps += 1

        dx, dy = px - self.gx, py - self.gy
        distance = np.sqrt(dx * dx + dy * dy)
        terminated = distance <= self.success_radius
        truncated = self.steps >= self.max_steps
        rewards = -distance
        finished = terminated | truncated
        final = self._observations()
        if finished.any():
            envs = np.nonzero(finished)[0]
            self._start_episodes(envs, self.episodes[envs] + np.uint64(1))
        return self._observations(), rewards, terminated, truncated, final


def check_env(path: str) -> None:
    """Replays a trajectory written by our C# PointMass and compares it field by field."""
    # Random123's known answer for Philox4x32-10 with counter 0 and key 0.
    kat = [int(w) for w in philox4x32_10(0, 0, 0, 0, 0)]
    if kat != [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]:
        print(f"Philox4x32-10 known answer: MISMATCH {[hex(w) for w in kat]}")
        sys.exit(1)
    with open(path) as f:
        trajectory = json.load(f)
    n, width = trajectory["environments"], trajectory["observation_width"]
    env = PointMassVec(n, max_steps=trajectory["max_episode_steps"])
    if width != PointMassVec.WIDTH or list(env.task_ids) != trajectory["task_ids"]:
        print(f"layout: MISMATCH (width {width}, task ids {trajectory['task_ids']})")
        sys.exit(1)
    worst = {"observations": 0.0, "final_observations": 0.0, "rewards": 0.0}
    flag_errors = []
    counts = {"terminated": 0, "truncated": 0}

    def compare(name, ours, theirs, step):
        # The file holds each float32 in its shortest round-trip decimal form: read back as float32.
        diff = float(np.max(np.abs(ours.astype(np.float64) - np.asarray(theirs, dtype=F32).astype(np.float64)), initial=0.0))
        worst[name] = max(worst[name], diff)
        if diff > 1e-5 and len(flag_errors) < 5:
            flag_errors.append(f"step {step}: {name} differ by {diff:.3g}")

    compare("observations", env.reset(trajectory["seed"]), np.reshape(trajectory["reset_observations"], (n, width)), -1)
    for k, step in enumerate(trajectory["steps"]):
        obs, rewards, terminated, truncated, final = env.step(np.reshape(step["actions"], (n, 2)))
        compare("observations", obs, np.reshape(step["observations"], (n, width)), k)
        compare("rewards", rewards, step["rewards"], k)
        for name, ours in (("terminated", terminated), ("truncated", truncated)):
            theirs = np.asarray(step[name], dtype=bool)
            counts[name] += int(theirs.sum())
            if not np.array_equal(ours, theirs) and len(flag_errors) < 5:
                flag_errors.append(f"step {k}: {name} ours {ours.astype(int).tolist()} vs C# {theirs.astype(int).tolist()}")
        finished = np.nonzero(terminated | truncated)[0].tolist()
        listed = [row[0] for row in step["final_observations"]]
        if finished != listed and len(flag_errors) < 5:
            flag_errors.append(f"step {k}: finished environments {finished} vs C# {listed}")
        for row in step["final_observations"]:
            compare("final_observations", final[row[0]], row[1:], k)
    steps = len(trajectory["steps"])
    print(f"{path}: {n} environments x {steps} steps, seed {trajectory['seed']}, {counts['terminated']} terminations, "
          f"{counts['truncated']} truncations")
    print("largest |difference|: " + ", ".join(f"{name} {value:.3g}" for name, value in worst.items()))
    if flag_errors or max(worst.values()) > 1e-5:
        print("MISMATCH:\n  " + "\n  ".join(flag_errors))
        sys.exit(1)
    print("PointMass port matches the C# environment: ok")


class Ring:
    """Preallocated struct-of-arrays replay ring; uniform sampling with replacement over what it holds."""

    def __init__(self, capacity: int, obs: int, act: int):
        self.capacity, self.size, self.next = capacity, 0, 0
        self.obs = np.zeros((capacity, obs), dtype=F32)
        self.next_obs = np.zeros((capacity, obs), dtype=F32)
        self.action = np.zeros((capacity, act), dtype=F32)
        self.reward = np.zeros((capacity, 1), dtype=F32)
        self.terminated = np.zeros((capacity, 1), dtype=F32)
        self.task = np.zeros(capacity, dtype=np.int64)

    def add(self, obs, action, reward, next_obs, terminated, task) -> None:
        rows = slice(self.next, self.next + len(obs))  # capacity is a multiple of the environment count
        self.obs[rows], self.action[rows], self.next_obs[rows] = obs, action, next_obs
        self.reward[rows, 0], self.terminated[rows, 0], self.task[rows] = reward, terminated, task
        self.next = (self.next + len(obs)) % self.capacity
        self.size = min(self.size + len(obs), self.capacity)


def run_benchmark(args) -> None:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torch
    import torch.nn.functional as F
    from torch_mlp_step import set_threads
    from torch_mtsac_update import Batch, MtSac, blas_description, cpu_model, update_flops

    set_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    n, tasks, obs_width, act = args.envs, len(SUITE), PointMassVec.WIDTH, 2
    env = PointMassVec(n)
    ring = Ring(max(args.capacity // n * n, n), obs_width, act)
    agent = MtSac(obs=obs_width, act=act, tasks=tasks)
    onehot_tasks = F.one_hot(torch.from_numpy(env.task_ids), tasks).float()
    obs = env.reset(args.seed)
    counters = {"transitions": 0, "updates": 0}
    times = {"act": 0.0, "env step": 0.0, "store": 0.0, "updates": 0.0}

    def choose(observations: np.ndarray) -> np.ndarray:
        if counters["transitions"] < args.learning_starts:
            return rng.uniform(-1.0, 1.0, size=(n, act)).astype(F32)
        with torch.no_grad():
            x = torch.cat([torch.from_numpy(observations), onehot_tasks], dim=-1)
            actions, _ = agent.policy(x)  # log pi too, as our acting computes it
            return actions.numpy()

    def update() -> None:
        idx = rng.integers(ring.size, size=args.batch)
        agent.update(Batch(torch.from_numpy(ring.obs[idx]), torch.from_numpy(ring.task[idx]),
                           torch.from_numpy(ring.action[idx]), torch.from_numpy(ring.reward[idx]),
                           torch.from_numpy(ring.next_obs[idx]), torch.from_numpy(ring.terminated[idx])))

    def train(until: int) -> None:
        nonlocal obs
        clock = time.perf_counter
        while counters["transitions"] < until:
            t0 = clock()
            actions = choose(obs)
            t1 = clock()
            next_obs, rewards, terminated, truncated, final = env.step(actions)
            t2 = clock()
            finished = terminated | truncated
            stored_next = np.where(finished[:, None], final, next_obs)
            ring.add(obs, actions, rewards, stored_next, terminated, env.task_ids)
            obs = next_obs
            before = counters["transitions"]
            counters["transitions"] += n
            due = 0
            if counters["transitions"] >= args.learning_starts:
                due = counters["transitions"] // args.train_every - before // args.train_every
            t3 = clock()
            for _ in range(due):
                update()
            counters["updates"] += due
            t4 = clock()
            times["act"] += t1 - t0
            times["env step"] += t2 - t1
            times["store"] += t3 - t2
            times["updates"] += t4 - t3

    train(args.warmup)
    for key in times:
        times[key] = 0.0
    transitions, updates = counters["transitions"], counters["updates"]
    start = time.perf_counter()
    train(args.warmup + args.steps)
    seconds = time.perf_counter() - start
    transitions = counters["transitions"] - transitions
    updates = counters["updates"] - updates
    gflop = update_flops(args.batch, obs=obs_width, act=act, tasks=tasks)["total"] / 1e9
    print(f"torch {torch.__version__}; cpu {cpu_model()}; blas {blas_description()}")
    print(f"PyTorch MT-SAC PointMass, {n} environments, batch {args.batch}, train_every {args.train_every}, "
          f"{args.threads} thread(s): {transitions} transitions and {updates} updates in {seconds:.2f} s: "
          f"{transitions / seconds:.0f} transitions/s, {updates / seconds:.0f} updates/s, "
          f"{1e3 * seconds / max(updates, 1):.3f} ms of the whole run per update")
    per_update = {key: 1e6 * value / max(updates, 1) for key, value in times.items()}
    print("µs per update: " + ", ".join(f"{key} {value:.0f}" for key, value in per_update.items())
          + f"; update matrix work {gflop:.4f} GFLOP ({gflop / (times['updates'] / max(updates, 1)):.1f} GFLOP/s in updates)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=3_000, help="transitions trained before timing")
    parser.add_argument("--steps", type=int, default=20_000, help="transitions timed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--envs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--train-every", type=int, default=2)
    parser.add_argument("--learning-starts", type=int, default=1_000)
    parser.add_argument("--capacity", type=int, default=100_000)
    parser.add_argument("--check-env", metavar="FILE")
    args = parser.parse_args()
    if args.check_env:
        check_env(args.check_env)
    else:
        run_benchmark(args)


if __name__ == "__main__":
    main()
