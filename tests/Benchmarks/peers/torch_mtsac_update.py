"""The peer side of the SAC trainer's update: one multi-task SAC (MT-SAC) update in plain PyTorch (CPU).

Usage:
    /usr/bin/python3 tests/Benchmarks/peers/torch_mtsac_update.py [--threads 1 2] [--batches 128 1280]
        [--warmup 20] [--rounds 10] [--round-seconds 1.0] [--actor-critic-grads freeze|zero] [--adam-foreach]
    /usr/bin/python3 tests/Benchmarks/peers/torch_mtsac_update.py --check [--check-batch 4] [--check-hidden 8]

Written for this project from the published algorithm (SAC with twin critics and one learned
temperature per task, as in facebookresearch/mtrl's MT-SAC; temperature loss as in
stable-baselines3); no code is taken from either. Our C# trainer implements the same definition:

  Sizes. T = 10 tasks, observation 39 floats, action 4 dims in [-1, 1]; x = concat(obs, onehot(task))
  is 49 wide. Hidden width H = 400 (the --check mode uses a small H).
  Actor. 49 -> H -> H -> H -> 8 (ReLU after each hidden layer), output [mu | r] (4 each). Log-std
  l = lo + (hi - lo)/2 * (tanh r + 1), lo = -20, hi = 2. u = mu + exp(l) * eps, eps ~ N(0, 1),
  a = tanh u, log pi = sum_d [ -eps^2/2 - l - log(2 pi)/2 - log(1 - tanh^2 u) ], where
  log(1 - tanh^2 u) = 2 (log 2 - u - softplus(-2u)).
  Critics. Q1, Q2: concat(obs, onehot(task), action) 53 -> H -> H -> H -> 1 (ReLU); target critics
  start as copies and follow by Polyak averaging, tau = 0.005, after every update.
  Temperature. log alpha, one per task, initialised to 0; target entropy -4 (= -action dims).
  Optimisers. Three torch.optim.Adam, lr 3e-4, betas (0.9, 0.999), eps 1e-8, no weight decay: one
  over both critics' parameters, one over the actor's, one over log alpha. PyTorch 1.13's default
  single-tensor implementation unless --adam-foreach (same arithmetic, fewer dispatches).
  Replay. 100,000 preallocated random rows: obs, next obs ~ N(0, 1); action ~ U(-1, 1); reward
  ~ N(0, 1); task uniform in 0..T-1; terminated = 1 with probability 0.05, else 0.
  One update on B rows (sampling included in the timing):
    0. idx = torch.randint(100000, (B,)); every column indexed with idx.
    1. no_grad: a', log pi' = actor(s') (fresh eps); V' = min(Q1t(s', a'), Q2t(s', a'))
       - alpha_task * log pi'; y = r + 0.99 (1 - terminated) V'.
    2. critic loss = mean((Q1(s, a) - y)^2) + mean((Q2(s, a) - y)^2); zero_grad, backward, step.
    3. a~, log pi = actor(s) (fresh eps); Q = min(Q1(s, a~), Q2(s, a~)) with the updated critics;
       actor loss = mean(alpha_task.detach() * log pi - Q); zero_grad, backward, step (actor only).
    4. temperature loss = mean(-log alpha_task * (log pi + target entropy).detach()); zero_grad,
       backward, step.
    5. Polyak: target <- target + tau (online - target), i.e. (1 - tau) target + tau online
       (Tensor.lerp_), for both target critics.

Critic gradients in the actor step (--actor-critic-grads). Default "freeze": the critics'
parameters get requires_grad = False around the actor step (the idiom of OpenAI Spinning Up's SAC),
so autograd computes only the input gradients through the critics, not their weight gradients.
"zero": the critics stay trainable; the actor's backward also fills the critics' .grad, which the
critic optimiser's zero_grad at the start of the next update's step 2 clears before they are ever
applied (what stable-baselines3 and mtrl do). Both give bit-identical parameters (--check verifies);
"freeze" does less work and is the default.

Matrix FLOP count of one update (printed per case). A linear layer in -> out on B rows costs
2 B in out for its forward product, 2 B in out for its weight gradient and 2 B in out for its input
gradient. Counted: every forward product; the weight gradient of every layer whose parameters are
trained in that step; the input gradient of every layer except the first layer of each network,
whose input needs no gradient -- except the critics in the actor step, where the gradient is needed
with respect to the action: counted as the action's 4 columns of the first layer (2 B 4 H), not the
whole 53-wide input (PyTorch computes all 53 columns: 2 B 49 H more per critic, < 1 % of the total).
Not counted: biases, activations, losses, Adam, Polyak, sampling (all O(parameters) or O(B x width)).
With "zero" the critics' weight gradients in the actor step are counted too (PyTorch computes them).

Threads. As torch_mlp_step.py: Debian's PyTorch calls BLAS through libblas.so.3 (OpenBLAS's pthread
build when libopenblas0 is installed, which keeps its own thread pool that torch.set_num_threads does
not reach), so both torch and every loaded OpenBLAS are set to N threads; OMP_WAIT_POLICY=PASSIVE
(unless set) keeps idle OpenMP threads from spinning on the cores OpenBLAS needs. The header prints
the BLAS library actually loaded: with Debian's reference libblas3 (no OpenBLAS installed) the GEMMs
are single-threaded and several times slower, and the numbers are not a fair peer.

Timing. --warmup updates, then --rounds rounds of n updates each (n chosen from the warm-up so a
round lasts about --round-seconds); per round the mean time per update; printed: the median and the
best round, updates per second at the median, GFLOP/s at the median and at the best round, and CPU
time / wall time over all timed rounds (about the number of cores actually busy), and the CPU time
that every other process of the machine took in the same wall time (others_cpu_per_wall, from
/proc/stat: on a shared machine, a run with others above ~0.05 was disturbed and should be repeated).

--check: one update in float64 with tiny sizes and deterministic values, printed in full, for
checking an implementation by hand. fill(shape, seed, scale)[k] = scale * sin(0.37 k + seed) over the
row-major flat index k. Parameters in order actor (W0, b0, W1, b1, W2, b2, W3, b3), Q1 (same), Q2
(same), n = 0..23: W (out x in, PyTorch's layout) = fill((out, in), n + 1, 1/sqrt(in)), b = fill((out,),
n + 1, 0.1). Targets are copies. log alpha[t] = 0.05 (t - 4). Batch row b: task = (3 b + 1) mod T;
obs = fill((B, 39), 101, 1); next obs = fill((B, 39), 102, 1); action = fill((B, 4), 103, 0.9);
reward = fill((B, 1), 104, 1); terminated = 1 if b mod 3 == 2 else 0; eps' (step 1) = fill((B, 4),
105, 1); eps (step 3) = fill((B, 4), 106, 1). It also checks log pi against a direct evaluation
(log(1 - tanh^2 u) taken as written) and the two --actor-critic-grads idioms against each other, and
exits with status 1 if either disagrees.
"""
import argparse
import copy
import math
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402 (after the OpenMP setting it reads at load)
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_mlp_step import blas_libraries, set_threads  # noqa: E402 (same thread pinning)

TASKS = 10
OBS = 39
ACT = 4
HIDDEN = 400
LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0
GAMMA = 0.99
TAU = 0.005
LR = 3e-4
REPLAY_ROWS = 100_000
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
LOG2 = math.log(2.0)


def mlp(inputs: int, hidden: int, outputs: int) -> torch.nn.Sequential:
    return torch.nn.Sequential(
        torch.nn.Linear(inputs, hidden), torch.nn.ReLU(),
        torch.nn.Linear(hidden, hidden), torch.nn.ReLU(),
        torch.nn.Linear(hidden, hidden), torch.nn.ReLU(),
        torch.nn.Linear(hidden, outputs),
    )


class Batch:
    __slots__ = ("obs", "task", "action", "reward", "next_obs", "terminated")

    def __init__(self, obs, task, action, reward, next_obs, terminated):
        self.obs, self.task, self.action = obs, task, action
        self.reward, self.next_obs, self.terminated = reward, next_obs, terminated


class Replay:
    """Preallocated random transitions (struct of arrays); uniform sampling with replacement."""

    def __init__(self, rows: int):
        self.rows = rows
        self.obs = torch.randn(rows, OBS)
        self.task = torch.randint(TASKS, (rows,))
        self.action = torch.rand(rows, ACT) * 2 - 1
        self.reward = torch.randn(rows, 1)
        self.next_obs = torch.randn(rows, OBS)
        self.terminated = (torch.rand(rows, 1) < 0.05).float()

    def sample(self, batch: int) -> Batch:
        idx = torch.randint(self.rows, (batch,))
        return Batch(self.obs[idx], self.task[idx], self.action[idx], self.reward[idx],
                     self.next_obs[idx], self.terminated[idx])


class MtSac:
    """The MT-SAC agent and its update; the sizes default to this benchmark's (torch_mtsac_run.py
    trains one on PointMass: 6 observations, 2 action dims)."""

    def __init__(self, hidden: int = HIDDEN, freeze_critics: bool = True, foreach: bool = False,
                 obs: int = OBS, act: int = ACT, tasks: int = TASKS):
        self.tasks = tasks
        self.target_entropy = -float(act)
        self.actor = mlp(obs + tasks, hidden, 2 * act)
        self.q1 = mlp(obs + tasks + act, hidden, 1)
        self.q2 = mlp(obs + tasks + act, hidden, 1)
        self.q1_target = copy.deepcopy(self.q1)
        self.q2_target = copy.deepcopy(self.q2)
        for p in list(self.q1_target.parameters()) + list(self.q2_target.parameters()):
            p.requires_grad_(False)
        self.log_alpha = torch.zeros(tasks, requires_grad=True)
        self.critic_params = list(self.q1.parameters()) + list(self.q2.parameters())
        self.target_params = list(self.q1_target.parameters()) + list(self.q2_target.parameters())
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=LR, foreach=foreach)
        self.critic_optimizer = torch.optim.Adam(self.critic_params, lr=LR, foreach=foreach)
        self.alpha_optimizer = torch.optim.Adam([self.log_alpha], lr=LR, foreach=foreach)
        self.freeze_critics = freeze_critics

    def policy(self, x: torch.Tensor, eps: torch.Tensor | None = None):
        """a = tanh(mu + exp(l) eps) and log pi(a | x) summed over the action dims (B x 1)."""
        mu, r = self.actor(x).chunk(2, dim=-1)
        log_std = LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (torch.tanh(r) + 1)
        if eps is None:
            eps = torch.randn_like(mu)
        u = mu + log_std.exp() * eps
        log_one_minus_tanh2 = 2 * (LOG2 - u - F.softplus(-2 * u))
        log_pi = (-0.5 * eps.pow(2) - log_std - HALF_LOG_2PI - log_one_minus_tanh2).sum(-1, keepdim=True)
        return torch.tanh(u), log_pi

    def update(self, b: Batch, eps_next=None, eps=None, trace: dict | None = None):
        onehot = F.one_hot(b.task, self.tasks).to(b.obs.dtype)
        x = torch.cat([b.obs, onehot], dim=-1)
        x_next = torch.cat([b.next_obs, onehot], dim=-1)
        alpha = self.log_alpha.detach()[b.task].exp().unsqueeze(-1)  # B x 1, current temperatures

        # 1. targets
        with torch.no_grad():
            a_next, log_pi_next = self.policy(x_next, eps_next)
            xa_next = torch.cat([x_next, a_next], dim=-1)
            v_next = torch.min(self.q1_target(xa_next), self.q2_target(xa_next)) - alpha * log_pi_next
            y = b.reward + GAMMA * (1 - b.terminated) * v_next

        # 2. critics
        xa = torch.cat([x, b.action], dim=-1)
        q1, q2 = self.q1(xa), self.q2(xa)
        critic_loss = F.mse_loss(q1, y) + F.mse_loss(q2, y)
        self.critic_optimizer.zero_grad(set_to_none=False)
        critic_loss.backward()
        self.critic_optimizer.step()

        # 3. actor, against the updated critics
        if self.freeze_critics:
            for p in self.critic_params:
                p.requires_grad_(False)
        a_new, log_pi = self.policy(x, eps)
        xa_new = torch.cat([x, a_new], dim=-1)
        q_new = torch.min(self.q1(xa_new), self.q2(xa_new))
        actor_loss = (alpha * log_pi - q_new).mean()
        self.actor_optimizer.zero_grad(set_to_none=False)
        actor_loss.backward()
        self.actor_optimizer.step()
        if self.freeze_critics:
            for p in self.critic_params:
                p.requires_grad_(True)

        # 4. per-task temperature
        alpha_loss = (-self.log_alpha[b.task] * (log_pi.detach().squeeze(-1) + self.target_entropy)).mean()
        self.alpha_optimizer.zero_grad(set_to_none=False)
        alpha_loss.backward()
        self.alpha_optimizer.step()

        # 5. target critics
        with torch.no_grad():
            for target, online in zip(self.target_params, self.critic_params):
                target.lerp_(online, TAU)

        if trace is not None:
            trace.update(log_pi_next=log_pi_next, a_next=a_next, v_next=v_next, y=y, q1=q1, q2=q2,
                         a=a_new.detach(), log_pi=log_pi.detach(), q_min=q_new.detach(), alpha=alpha,
                         critic_loss=critic_loss.detach(), actor_loss=actor_loss.detach(),
                         alpha_loss=alpha_loss.detach())
        return critic_loss, actor_loss, alpha_loss


def update_flops(batch: int, hidden: int = HIDDEN, freeze_critics: bool = True,
                 obs: int = OBS, act: int = ACT, tasks: int = TASKS) -> dict:
    """Matrix FLOPs of one update by phase, by the convention in the module docstring."""
    actor = [(obs + tasks, hidden), (hidden, hidden), (hidden, hidden), (hidden, 2 * act)]
    critic = [(obs + tasks + act, hidden), (hidden, hidden), (hidden, hidden), (hidden, 1)]

    def forward(layers):
        return sum(2 * batch * i * o for i, o in layers)

    def input_grads(layers):  # all but the first layer
        return sum(2 * batch * i * o for i, o in layers[1:])

    targets = forward(actor) + 2 * forward(critic)
    critics = 2 * (forward(critic) + forward(critic) + input_grads(critic))
    critic_back_in_actor_step = input_grads(critic) + 2 * batch * act * hidden
    if not freeze_critics:
        critic_back_in_actor_step += forward(critic)  # weight gradients
    actor_step = (forward(actor) + 2 * forward(critic) + 2 * critic_back_in_actor_step
                  + forward(actor) + input_grads(actor))
    return {"targets": targets, "critics": critics, "actor": actor_step,
            "total": targets + critics + actor_step}


def blas_description() -> str:
    paths = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in path and path.startswith("/"):
                paths.add(os.path.realpath(path))
    openblas = list(blas_libraries())
    if not openblas:
        return f"{', '.join(sorted(paths)) or 'none found'} (NOT OpenBLAS: thread count not pinned, GEMMs not a fair peer)"
    parts = []
    for library in openblas:
        try:
            library.openblas_get_config.restype = __import__("ctypes").c_char_p
            config = library.openblas_get_config().decode()
        except AttributeError:
            config = "OpenBLAS"
        part = f"{config}, {library.openblas_get_num_threads()} threads"
        if part not in parts:
            parts.append(part)
    return f"{', '.join(sorted(paths))} ({'; '.join(parts)})"


def cpu_model() -> str:
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def system_busy_seconds() -> float:
    """CPU time all processes of the machine have spent (user, nice, system, irq, softirq), from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def measure(replay: Replay, batch: int, threads: int, args) -> dict:
    set_threads(threads)
    torch.manual_seed(1)
    agent = MtSac(freeze_critics=args.actor_critic_grads == "freeze", foreach=args.adam_foreach)
    start = time.perf_counter()
    for i in range(args.warmup):
        agent.update(replay.sample(batch))
        if i == args.warmup // 2:
            start = time.perf_counter()
    per_update = (time.perf_counter() - start) / max(1, args.warmup - args.warmup // 2 - 1)
    n = max(1, round(args.round_seconds / per_update))
    samples = []
    busy_start = system_busy_seconds()
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    for _ in range(args.rounds):
        start = time.perf_counter()
        for _ in range(n):
            agent.update(replay.sample(batch))
        samples.append((time.perf_counter() - start) / n)
    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    others = max(0.0, (system_busy_seconds() - busy_start - cpu) / wall)
    return {"median": statistics.median(samples), "best": min(samples), "cores": cpu / wall, "others": others, "n": n}


def run_benchmark(args) -> None:
    torch.manual_seed(0)
    replay = Replay(REPLAY_ROWS)
    set_threads(args.threads[0])
    freeze = args.actor_critic_grads == "freeze"
    print(f"torch {torch.__version__}; cpu {cpu_model()}; OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}")
    print(f"blas {blas_description()}")
    print(f"actor-critic-grads={args.actor_critic_grads}; adam foreach={args.adam_foreach}; warmup={args.warmup} rounds={args.rounds} "
          f"round_seconds={args.round_seconds}")
    for batch in args.batches:
        flops = update_flops(batch, freeze_critics=freeze)
        print(f"batch={batch} GFLOP/update={flops['total'] / 1e9:.4f} (targets {flops['targets'] / 1e9:.4f}, "
              f"critics {flops['critics'] / 1e9:.4f}, actor {flops['actor'] / 1e9:.4f})")
    for threads in args.threads:
        for batch in args.batches:
            r = measure(replay, batch, threads, args)
            gflop = update_flops(batch, freeze_critics=freeze)["total"] / 1e9
            print(f"threads={threads} batch={batch} median_ms={r['median'] * 1e3:.2f} best_ms={r['best'] * 1e3:.2f} "
                  f"updates_per_s={1 / r['median']:.1f} cpu_per_wall={r['cores']:.2f} others_cpu_per_wall={r['others']:.2f} "
                  f"gflop_per_update={gflop:.4f} gflops_median={gflop / r['median']:.1f} "
                  f"gflops_best={gflop / r['best']:.1f} updates_per_round={r['n']} "
                  f"torch={torch.__version__} cpu=\"{cpu_model()}\"", flush=True)


def fill(shape, seed: float, scale: float) -> torch.Tensor:
    count = math.prod(shape)
    k = torch.arange(count, dtype=torch.float64)
    return (scale * torch.sin(0.37 * k + seed)).reshape(shape)


def check_agent(hidden: int, freeze: bool) -> MtSac:
    agent = MtSac(hidden=hidden, freeze_critics=freeze)
    with torch.no_grad():
        n = 0
        for net in (agent.actor, agent.q1, agent.q2):
            for layer in net:
                if isinstance(layer, torch.nn.Linear):
                    out, inp = layer.weight.shape
                    layer.weight.copy_(fill((out, inp), n + 1, 1 / math.sqrt(inp)))
                    layer.bias.copy_(fill((out,), n + 2, 0.1))
                    n += 2
        agent.q1_target.load_state_dict(agent.q1.state_dict())
        agent.q2_target.load_state_dict(agent.q2.state_dict())
        agent.log_alpha.copy_(0.05 * (torch.arange(TASKS, dtype=torch.float64) - 4))
    return agent


def run_check(args) -> None:
    torch.set_default_dtype(torch.float64)
    B, H = args.check_batch, args.check_hidden
    rows = torch.arange(B)
    batch = Batch(fill((B, OBS), 101, 1), (3 * rows + 1) % TASKS, fill((B, ACT), 103, 0.9), fill((B, 1), 104, 1),
                  fill((B, OBS), 102, 1), (rows % 3 == 2).to(torch.float64).unsqueeze(-1))
    eps_next, eps = fill((B, ACT), 105, 1), fill((B, ACT), 106, 1)

    agent = check_agent(H, freeze=True)
    # log pi against a direct evaluation (float64, moderate u: log(1 - tanh^2) is accurate here)
    with torch.no_grad():
        x = torch.cat([batch.obs, F.one_hot(batch.task, TASKS).double()], dim=-1)
        mu, r = agent.actor(x).chunk(2, dim=-1)
        log_std = LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (torch.tanh(r) + 1)
        u = mu + log_std.exp() * eps
        # N(u; mu, sigma) as N(eps; 0, 1) / sigma: through u - mu it would lose ~1e-8 to cancellation
        # when sigma is near e^-20
        direct = (torch.distributions.Normal(0.0, 1.0).log_prob(eps) - log_std
                  - torch.log(1 - torch.tanh(u) ** 2)).sum(-1, keepdim=True)
        _, log_pi = agent.policy(x, eps)
        logpi_error = (direct - log_pi).abs().max().item()

    trace = {}
    agent.update(batch, eps_next, eps, trace)
    other = check_agent(H, freeze=False)
    other.update(batch, eps_next, eps)
    same = all(torch.equal(p, q) for p, q in zip(
        list(agent.actor.parameters()) + agent.critic_params + agent.target_params + [agent.log_alpha],
        list(other.actor.parameters()) + other.critic_params + other.target_params + [other.log_alpha]))

    def show(name, t):
        values = t.detach().reshape(-1).tolist()
        print(f"{name} = [{', '.join(f'{v:.17g}' for v in values)}]")

    print(f"check: float64, B={B}, hidden={H}, T={TASKS}, obs={OBS}, act={ACT} (values defined in the docstring)")
    print(f"task = {batch.task.tolist()}; terminated = {batch.terminated.squeeze(-1).tolist()}")
    show("alpha_task", trace["alpha"])
    show("a_next", trace["a_next"])
    show("log_pi_next", trace["log_pi_next"])
    show("v_next", trace["v_next"])
    show("y", trace["y"])
    show("q1", trace["q1"])
    show("q2", trace["q2"])
    print(f"critic_loss = {trace['critic_loss'].item():.17g}")
    show("a (step 3)", trace["a"])
    show("log_pi (step 3)", trace["log_pi"])
    show("q_min (step 3, updated critics)", trace["q_min"])
    print(f"actor_loss = {trace['actor_loss'].item():.17g}")
    print(f"alpha_loss = {trace['alpha_loss'].item():.17g}")
    show("log_alpha after", agent.log_alpha)
    for name, params in (("actor", list(agent.actor.parameters())), ("q1", list(agent.q1.parameters())),
                         ("q2", list(agent.q2.parameters())), ("q1_target", list(agent.q1_target.parameters())),
                         ("q2_target", list(agent.q2_target.parameters()))):
        print(f"sum of {name} parameters after = {sum(p.sum().item() for p in params):.17g}")
    print(f"log pi vs direct Normal(0, 1).log_prob(eps) - l - log(1 - tanh^2 u): max |diff| = {logpi_error:.3g} "
          f"{'ok' if logpi_error < 1e-9 else 'MISMATCH'}")
    print(f"freeze vs zero idioms give identical parameters: {'ok' if same else 'MISMATCH'}")
    if logpi_error >= 1e-9 or not same:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batches", type=int, nargs="+", default=[128, 1280])
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--round-seconds", type=float, default=1.0)
    parser.add_argument("--actor-critic-grads", choices=["freeze", "zero"], default="freeze")
    parser.add_argument("--adam-foreach", action="store_true")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--check-batch", type=int, default=4)
    parser.add_argument("--check-hidden", type=int, default=8)
    args = parser.parse_args()
    if args.check:
        run_check(args)
    else:
        run_benchmark(args)


if __name__ == "__main__":
    main()
