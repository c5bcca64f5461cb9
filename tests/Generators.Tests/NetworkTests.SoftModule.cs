using System;
using System.Linq;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>
/// Soft modularization in Soft-Module's style (the default, docs/language.md): forward values and
/// parameter gradients agree with a hand-composed network written from the reference's formulas,
/// and with PyTorch's autograd through both references' forward passes (the committed fixture
/// written by tests/Benchmarks/peers/soft_modular_peer.py).
/// </summary>
public partial class NetworkTests
{
    /// <summary>
    /// Two Soft-Module nodes: one routed on a base network and a task embedding (4 layers, so the
    /// conditions read 1, 2 and 3 probability matrices), one routed on its own input (x = by, 2 layers).
    /// </summary>
    private const string SoftModuleTwinSpec = """
        agent SoftModuleProbe {
          tasks: 3
          input obs: 5
          action: discrete(2)
          network q {
            b = linear(obs, width: 5)
            e = linear(onehot(task), width: 5)
            s = soft_modular(b, by: e, layers: 4, modules: 3, width: 4, routing: 6)
            t = soft_modular(b, by: b, layers: 2, modules: 2, width: 3, routing: 4, style: soft_module)
            out q = q_values(concat(s, t))
          }
          train dqn { }
        }
        """;
}
