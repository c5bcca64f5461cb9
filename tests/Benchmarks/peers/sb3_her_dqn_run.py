"""The peer side of `mtrl bench examples/specs/her_bitflip.mtrl --env bitflip`: a whole
stable-baselines3 training run, DQN with its HerReplayBuffer on 40-bit BitFlip.

Settings as in the spec: 8 BitFlip(40) environments stepped together (DummyVecEnv), batch 256,
one update per 4 transitions (train_freq = 1 vector step of 8 transitions, gradient_steps = 2),
a 256-256 ReLU network, Adam at lr 1e-3, gamma 0.98, a target update every 500 transitions,
epsilon from 1 to 0.02, a 1M-transition buffer, HER 'future' with k = 4. PyTorch and its BLAS are
held to --threads.

stable-baselines3 and Gymnasium are not installed: extract their public repositories outside
this repository and put them on PYTHONPATH, e.g.

    git --git-dir=<mirror of DLR-RM/stable-baselines3> archive HEAD | tar -x -C /tmp/sb3-peer
    git --git-dir=<mirror of Farama-Foundation/Gymnasium> archive HEAD gymnasium | tar -x -C /tmp/gym-peer
    PYTHONPATH=/tmp/sb3-peer:/tmp/gym-peer /usr/bin/python3 tests/Benchmarks/peers/sb3_her_dqn_run.py

Uses Debian's python3-torch, python3-numpy, python3-cloudpickle and python3-pandas. Trains
--warmup transitions (learning starts at 1,000, as the spec's warm-up), then times --steps more
and prints transitions/s, updates/s and milliseconds per update (the whole run's time divided by
its updates, acting and environment steps included, as `mtrl bench` reports beside its phases).
"""
import argparse
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=3_000)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    # BLAS pools read these at import time.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(args.threads)
    import torch
    from stable_baselines3 import DQN
    from stable_baselines3.common.envs import BitFlippingEnv
    from stable_baselines3.common.vec_env import DummyVecEnv
    from stable_baselines3.her.her_replay_buffer import HerReplayBuffer

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    envs = 8
    env = DummyVecEnv([lambda: BitFlippingEnv(n_bits=40, continuous=False, max_steps=40) for _ in range(envs)])
    model = DQN(
        "MultiInputPolicy",
        env,
        learning_rate=1e-3,
        buffer_size=1_000_000,
        learning_starts=1_000,
        batch_size=256,
        gamma=0.98,
        train_freq=1,
        gradient_steps=2,
        target_update_interval=500,
        exploration_fraction=0.5,
        exploration_final_eps=0.02,
        replay_buffer_class=HerReplayBuffer,
        replay_buffer_kwargs=dict(n_sampled_goal=4, goal_selection_strategy="future"),
        policy_kwargs=dict(net_arch=[256, 256]),
        seed=args.seed,
        device="cpu",
        verbose=0,
    )
    model.learn(total_timesteps=args.warmup)
    transitions, updates = model.num_timesteps, model._n_updates
    start = time.perf_counter()
    model.learn(total_timesteps=args.steps, reset_num_timesteps=False)
    seconds = time.perf_counter() - start
    transitions = model.num_timesteps - transitions
    updates = model._n_updates - updates
    print(
        f"sb3 DQN+HER BitFlip(40), {args.threads} thread(s), torch {torch.__version__}: "
        f"{transitions} transitions and {updates} updates in {seconds:.2f} s: "
        f"{transitions / seconds:.0f} transitions/s, {updates / seconds:.0f} updates/s, "
        f"{1e3 * seconds / max(updates, 1):.3f} ms of the whole run per update"
    )


if __name__ == "__main__":
    main()
