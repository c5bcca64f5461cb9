using System;
using Xunit;
using Mtrl.Contracts;

namespace Mtrl.Kernels.Tests.Projection;

[Collection(nameof(AllocationSensitive))]
public sealed class ProjectionAllocationTests
{
    [Fact]
    public void ProjectionsWithAWorkspaceAllocateNothingAfterWarmUp()
    {
        const int t = 10, p = 50_000;
        float[] gradients = ProjectionCases.Gradients(t, p, GradientPattern.Independent);
        float[] output = new float[p];
        int[] orders = ProjectionCases.RandomOrders(t, 1);
        var workspace = new ProjectionWorkspace(t, p);
        using var accelerator = new CpuAccelerator(2);
        ulong counter = 0;
        for (int window = 0; window < 6; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            long workersBefore = accelerator.WorkerAllocatedBytes();
            for (int r = 0; r < 10; r++)
            {
                PcGrad.Project(gradients, t, p, 1, 2, counter++, GradientReduction.Mean, output, workspace, accelerator);
                PcGrad.Project(gradients, t, p, orders, GradientReduction.Sum, output, workspace, accelerator);
                CaGrad.Combine(gradients, t, p, 0.5, GradientReduction.Mean, output, CaGradRescale.OnePlusCSquared, workspace, accelerator);
            }

            if (window > 0 && GC.GetAllocatedBytesForCurrentThread() == before && accelerator.WorkerAllocatedBytes() == workersBefore)
            {
                return;
            }
        }

        Assert.Fail("projection calls allocate in every window");
    }
}
