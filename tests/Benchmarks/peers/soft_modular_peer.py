"""Peer check of soft_modular's two styles against their references, with PyTorch autograd (CPU).

Style soft_module follows RchalYang/Soft-Module's `ModularGatedCascadeCondNet.forward`
(torchrl/networks/nets.py) with add_bn=False, pre_softmax=False, cond_ob=True and one gating
layer; style mtrl follows facebookresearch/mtrl's `RoutingNetwork.forward`
(mtrl/agent/components/soft_modularization.py) for the routing and its expert mixing, with the
module ReLUs and output mix of docs/language.md. Both are re-written here from those forward
passes (no reference code is copied). The network is the C# test's PeerProbe:

    b = linear(obs, width: 5)            # the reference's base (MLPBase, one layer, no last activation)
    e = linear(onehot(task), width: 5)   # the reference's em_base
    s = soft_modular(b, by: e, ...)
    out q = q_values(s)                  # the reference's `last`

1. Export weights, inputs and our results (from the repository root):

    MTRL_WRITE_SOFT_MODULAR_PEER_INPUTS=/tmp/soft_modular_inputs.json \
        dotnet test tests/Generators.Tests -c Release --filter SoftModularPeerInputsCanBeExported

2. Run this script (optionally on a snapshot of Soft-Module, to also run its own class):

    python3 tests/Benchmarks/peers/soft_modular_peer.py /tmp/soft_modular_inputs.json \
        [--soft-module /path/to/Soft-Module] [--write tests/Generators.Tests/Fixtures/soft_modular_peer.json]

It prints, per case, the largest absolute and relative (to each tensor's largest entry) error
between our generated network and PyTorch for the output and all parameter gradients, and with
--write stores PyTorch's output and gradients as the fixture the C# test
SoftModularMatchesBothReferencesInThePeerFixture checks (weights and inputs included, ours dropped).
"""
import argparse
import datetime
import json
import os
import sys
import types

import torch
import torch.nn.functional as F


def settings_of(text: str) -> dict:
    parts = dict(p.split(": ") for p in text.split(", "))
    return {
        "layers": int(parts["layers"]),
        "modules": int(parts["modules"]),
        "width": int(parts["width"]),
        "routing": int(parts["routing"]),
        "mix": parts.get("mix", "gated"),
        "style": parts.get("style", "soft_module"),
    }


class Weights:
    """Leaf tensors for every slice; our weights are [in, out] row-major, torch's Linear is [out, in]."""

    def __init__(self, parameters: dict):
        self.raw = parameters
        self.tensors = {
            name: torch.tensor(p["values"], dtype=torch.float32).reshape(p["rows"], p["columns"]).requires_grad_(True)
            for name, p in parameters.items()
        }

    def linear(self, prefix: str, x: torch.Tensor) -> torch.Tensor:
        w = self.tensors[prefix + ".weight"]
        b = self.tensors[prefix + ".bias"].reshape(-1)
        return F.linear(x, w.t(), b)


def soft_module_forward(p: Weights, obs, onehot, s: dict):
    """ModularGatedCascadeCondNet.forward, step by step."""
    n, layers = s["modules"], s["layers"]
    out = p.linear("q.b", obs)                       # base(x), no last activation
    embedding = p.linear("q.e", onehot)              # em_base(embedding_input)
    embedding = embedding * out                      # cond_ob
    out = F.relu(out)
    embedding = F.relu(embedding)                    # one gating fc: relu, then the fc without activation
    embedding = p.linear("q.s.route.in", embedding)
    batch = obs.shape[0]
    weights, flatten = [], []
    raw = p.linear("q.s.route.down0", F.relu(embedding)).view(batch, n, n)
    softmax = F.softmax(raw, dim=-1)
    weights.append(softmax)
    flatten.append(softmax.view(batch, n * n))
    for l in range(1, layers - 1):
        cond = p.linear(f"q.s.route.up{l}", torch.cat(flatten, dim=-1))
        cond = F.relu(cond * embedding)
        raw = p.linear(f"q.s.route.down{l}", cond).view(batch, n, n)
        softmax = F.softmax(raw, dim=-1)
        weights.append(softmax)
        flatten.append(softmax.view(batch, n * n))
    cond = p.linear("q.s.route.up_gate", torch.cat(flatten, dim=-1))
    cond = F.relu(cond * embedding)
    last_weight = F.softmax(p.linear("q.s.route.gate", cond), dim=-1)
    outputs = torch.stack([p.linear(f"q.s.module0_{j}", out) for j in range(n)], dim=-2)
    for i in range(layers - 1):
        mixed = []
        for j in range(n):
            module_input = (outputs * weights[i][..., j, :].unsqueeze(-1)).sum(dim=-2)
            mixed.append(p.linear(f"q.s.module{i + 1}_{j}", F.relu(module_input)))
        outputs = torch.stack(mixed, dim=-2)
    out = F.relu((outputs * last_weight.unsqueeze(-1)).sum(-2))
    return p.linear("q.q", out), weights + [last_weight]


def mtrl_forward(p: Weights, obs, onehot, s: dict, literal_scores: bool = False):
    """mtrl's RoutingNetwork.forward and expert mixing. mtrl feeds W_u the previous layer's
    pre-softmax scores; style mtrl feeds it the probabilities (literal_scores=False)."""
    n, layers = s["modules"], s["layers"]
    batch = obs.shape[0]
    x = p.linear("q.b", obs)
    by = p.linear("q.e", onehot)
    inp = p.linear("q.s.route.in", x * by)           # projection_before_routing(obs * encoding)
    scores = [p.linear("q.s.route.down0", F.relu(inp))]
    probabilities = [F.softmax(scores[0].view(batch, n, n), dim=2)]
    for l in range(1, layers - 1):
        source = scores[-1] if literal_scores else probabilities[-1].view(batch, n * n)
        scores.append(p.linear(f"q.s.route.down{l}", F.relu(p.linear(f"q.s.route.up{l}", source) * inp)))
        probabilities.append(F.softmax(scores[-1].view(batch, n, n), dim=2))
    # Experts as mtrl's moe Linear: every module of a layer on its own input, ReLU, then
    # input'[a] = sum_b p[a, b] * output[b] (SoftModularizedMLP.forward's _out.sum(dim=1)).
    current = [x] * n
    for l in range(layers):
        outputs = torch.stack([F.relu(p.linear(f"q.s.module{l}_{j}", current[j])) for j in range(n)], dim=0)
        if l == layers - 1:
            break
        prob = probabilities[l].permute(1, 2, 0)      # (n, n, batch)
        mixed = (prob.unsqueeze(-1) * outputs.unsqueeze(0).repeat(n, 1, 1, 1)).sum(dim=1)
        current = [mixed[j] for j in range(n)]
    if s["mix"] == "mean":
        out = outputs.mean(dim=0)
    else:
        if layers > 1:
            routed = p.linear("q.s.route.up_gate", probabilities[-1].view(batch, n * n)) * inp
        else:
            routed = inp
        gate = F.softmax(p.linear("q.s.route.gate", F.relu(routed)), dim=-1)   # (batch, n)
        out = (outputs * gate.t().unsqueeze(-1)).sum(dim=0)
        probabilities = probabilities + [gate]
    return p.linear("q.q", out), probabilities


def reference_soft_module(path: str, p: Weights, obs, onehot, s: dict):
    """Soft-Module's own ModularGatedCascadeCondNet from a snapshot, loaded with our weights."""
    package = types.ModuleType("torchrl")
    package.__path__ = [os.path.join(path, "torchrl")]
    sys.modules.setdefault("torchrl", package)
    from torchrl.networks.base import MLPBase  # noqa: E402
    from torchrl.networks.nets import ModularGatedCascadeCondNet  # noqa: E402

    n, layers = s["modules"], s["layers"]
    net = ModularGatedCascadeCondNet(
        output_shape=2, base_type=MLPBase, em_input_shape=onehot.shape[1], input_shape=obs.shape[1],
        em_hidden_shapes=[5], hidden_shapes=[5], num_layers=layers, num_modules=n, module_hidden=s["width"],
        gating_hidden=s["routing"], num_gating_layers=1, add_bn=False, pre_softmax=False, cond_ob=True)
    names = {"base.fc0": "q.b", "em_base.fc0": "q.e", "gating_fc_0": "q.s.route.in",
             "gating_weight_fc_0": "q.s.route.down0", "gating_weight_cond_last": "q.s.route.up_gate",
             "gating_weight_last": "q.s.route.gate", "last": "q.q"}
    for l in range(1, layers - 1):
        names[f"gating_weight_cond_fc_{l}"] = f"q.s.route.up{l}"
        names[f"gating_weight_fc_{l}"] = f"q.s.route.down{l}"
    for i in range(layers):
        for j in range(n):
            names[f"module_{i}_{j}"] = f"q.s.module{i}_{j}"
    modules = dict(net.named_modules())
    with torch.no_grad():
        for theirs, ours in names.items():
            modules[theirs].weight.copy_(p.tensors[ours + ".weight"].t())
            modules[theirs].bias.copy_(p.tensors[ours + ".bias"].reshape(-1))
    assert sum(t.numel() for t in net.parameters()) == sum(t.numel() for t in p.tensors.values())
    return net, names


def reference_mtrl_routing(path: str, p: Weights, obs, onehot, s: dict):
    """mtrl's own RoutingNetwork from a snapshot, loaded with our weights, on x = b(obs) and
    by = e(onehot): its probabilities (L − 1, batch, n, n). mtrl.utils.types (gym, omegaconf) is
    replaced by a stub holding the type aliases the routing code names."""
    for package in ("mtrl", "mtrl.agent", "mtrl.agent.components", "mtrl.agent.ds", "mtrl.utils"):
        module = types.ModuleType(package)
        module.__path__ = [os.path.join(path, *package.split("."))]
        sys.modules.setdefault(package, module)
    aliases = types.ModuleType("mtrl.utils.types")
    aliases.ModelType = aliases.TensorType = aliases.ConfigType = object
    sys.modules.setdefault("mtrl.utils.types", aliases)
    from mtrl.agent.components.soft_modularization import RoutingNetwork  # noqa: E402
    from mtrl.agent.ds.mt_obs import MTObs  # noqa: E402
    from mtrl.agent.ds.task_info import TaskInfo  # noqa: E402

    n, layers = s["modules"], s["layers"]
    net = RoutingNetwork(in_features=obs.shape[1], hidden_features=s["routing"], num_experts_per_layer=n, num_layers=layers - 1)
    names = {"projection_before_routing": "q.s.route.in"}
    for l in range(layers - 1):
        names[f"W_d.{l}"] = f"q.s.route.down{l}"
        if l > 0:
            names[f"W_u.{l - 1}"] = f"q.s.route.up{l}"
    modules = dict(net.named_modules())
    with torch.no_grad():
        for theirs, ours in names.items():
            modules[theirs].weight.copy_(p.tensors[ours + ".weight"].t())
            modules[theirs].bias.copy_(p.tensors[ours + ".bias"].reshape(-1))
        x = p.linear("q.b", obs)
        by = p.linear("q.e", onehot)
        mtobs = MTObs(env_obs=x, task_obs=None, task_info=TaskInfo(encoding=by, compute_grad=False, env_index=torch.zeros(1)))
        return net(mtobs=mtobs)


def errors(expected: torch.Tensor, actual: torch.Tensor):
    diff = (expected.double() - actual.double()).abs().max().item()
    scale = max(expected.double().abs().max().item(), 1e-12)
    return diff, diff / scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("inputs")
    parser.add_argument("--soft-module", help="a snapshot of RchalYang/Soft-Module, to also run its own class")
    parser.add_argument("--mtrl", help="a snapshot of facebookresearch/mtrl, to also run its own RoutingNetwork")
    parser.add_argument("--write", help="write the fixture (weights, inputs, PyTorch's output and gradients) here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cases = json.load(open(args.inputs))["cases"]
    worst = 0.0
    for case in cases:
        s = settings_of(case["settings"])
        batch = len(case["tasks"])
        obs = torch.tensor(case["obs"], dtype=torch.float32).view(batch, -1)
        onehot = F.one_hot(torch.tensor(case["tasks"]), 3).float()
        upstream = torch.tensor(case["upstream"], dtype=torch.float32).view(batch, -1)
        p = Weights(case["parameters"])
        forward = soft_module_forward if s["style"] == "soft_module" else mtrl_forward
        q, routing = forward(p, obs, onehot, s)
        (q * upstream).sum().backward()
        expected = {"output": q.detach().reshape(-1).tolist(),
                    "routing": [r.detach().reshape(-1).tolist() for r in routing],
                    "gradients": {name: t.grad.reshape(-1).tolist() for name, t in p.tensors.items()}}
        rows = [("output", *errors(q.detach().reshape(-1), torch.tensor(case["ours"])))]
        assert len(routing) == len(case["ours_routing"])
        for l, r in enumerate(routing):
            rows.append((f"routing {l}", *errors(r.detach().reshape(-1), torch.tensor(case["ours_routing"][l]))))
        for name, t in p.tensors.items():
            rows.append((name, *errors(t.grad.reshape(-1), torch.tensor(case["parameters"][name]["ours"]))))
        max_abs = max(r[1] for r in rows)
        max_rel = max(r[2] for r in rows)
        worst = max(worst, max_rel)
        print(f"{case['name']:>14}: ours vs PyTorch ({s['style']}): max abs {max_abs:.2e}, max rel {max_rel:.2e} over output, {len(routing)} routing tensors and {len(p.tensors)} gradients")
        if s["style"] == "soft_module" and args.soft_module:
            net, names = reference_soft_module(args.soft_module, p, obs, onehot, s)
            theirs, weights, last_weight = net(obs, onehot, return_weights=True)
            (theirs * upstream).sum().backward()
            modules = dict(net.named_modules())
            rows = [errors(theirs.detach().reshape(-1), torch.tensor(case["ours"]))[1]]
            for l, r in enumerate(weights + [last_weight]):
                rows.append(errors(r.detach().reshape(-1), torch.tensor(case["ours_routing"][l]))[1])
            for their_name, ours in names.items():
                rows.append(errors(modules[their_name].weight.grad.t().reshape(-1), torch.tensor(case["parameters"][ours + ".weight"]["ours"]))[1])
                rows.append(errors(modules[their_name].bias.grad.reshape(-1), torch.tensor(case["parameters"][ours + ".bias"]["ours"]))[1])
            worst = max(worst, max(rows))
            print(f"{'':>14}  ours vs Soft-Module's ModularGatedCascadeCondNet itself: max rel {max(rows):.2e}")
        if s["style"] == "mtrl" and args.mtrl:
            # p⁰ is the same computation; from p¹ on mtrl's W_u reads the scores, ours the probabilities.
            theirs = reference_mtrl_routing(args.mtrl, p, obs, onehot, s)
            first = errors(theirs[0].reshape(-1), torch.tensor(case["ours_routing"][0]))[1]
            worst = max(worst, first)
            line = f"ours vs mtrl's RoutingNetwork itself: p0 max rel {first:.2e}"
            if s["layers"] >= 3:
                literal_q, literal_routing = mtrl_forward(Weights(case["parameters"]), obs, onehot, s, literal_scores=True)
                agree = max(errors(theirs[l].reshape(-1), literal_routing[l].detach().reshape(-1))[1] for l in range(s["layers"] - 1))
                differ = errors(theirs[1].reshape(-1), torch.tensor(case["ours_routing"][1]))[1]
                line += (f"; p1 differs by max rel {differ:.2e} (W_u on scores), which this script's literal"
                         f" variant reproduces to {agree:.2e}; output then off by max rel {errors(q.detach(), literal_q.detach())[1]:.2e}")
            print(f"{'':>14}  {line}")
        for name in case["parameters"]:
            del case["parameters"][name]["ours"]
        del case["ours"]
        del case["ours_routing"]
        case["expected"] = expected
    print(f"worst relative error {worst:.2e}; torch {torch.__version__}, {datetime.date.today()}")
    if args.write:
        # Nine significant digits give every float32 back exactly.
        def float32_text(value):
            if isinstance(value, float):
                return float(f"{value:.9g}")
            if isinstance(value, list):
                return [float32_text(v) for v in value]
            if isinstance(value, dict):
                return {k: float32_text(v) for k, v in value.items()}
            return value

        with open(args.write, "w") as f:
            json.dump({"generator": "tests/Benchmarks/peers/soft_modular_peer.py", "cases": float32_text(cases)}, f, separators=(",", ":"))
            f.write("\n")


if __name__ == "__main__":
    main()
