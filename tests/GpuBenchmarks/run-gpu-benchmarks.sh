#!/usr/bin/env bash
# Runs every device benchmark of the ILGPU back end beside the CPU kernels and prints a markdown
# table (docs/gpu.md). Default device: cuda. On a machine without a GPU, try it with
#   tests/GpuBenchmarks/run-gpu-benchmarks.sh --device ilgpu-cpu --quick
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec dotnet run -c Release --project "$here/Mtrl.GpuBenchmarks.csproj" -- "$@"
