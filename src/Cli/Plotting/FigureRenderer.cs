using System.IO;
using Mtrl.Runs.Plots;
using ScottPlot;

namespace Mtrl.Cli.Plotting;

/// <summary>Draws a <see cref="Figure"/> with ScottPlot and saves it as PNG and SVG.</summary>
internal static class FigureRenderer
{
    private const int Width = 960;
    private const int Height = 560;

    /// <summary>Writes <c>STEM.png</c> and <c>STEM.svg</c>; returns both paths.</summary>
    public static (string Png, string Svg) Save(Figure figure, string stem)
    {
        var plot = new Plot();
        plot.Title(figure.Title);
        plot.XLabel("transitions");
        plot.YLabel(figure.YLabel);
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var band in figure.Bands)
        {
            if (band.X.Length == 0) continue;
            var fill = plot.Add.FillY(band.X, band.Low, band.High);
            fill.FillColor = Colors.Gray.WithAlpha(0.25);
            fill.LineColor = Colors.Gray.WithAlpha(0.0);
            fill.LegendText = band.Label;
        }
        var index = 0;
        foreach (var line in figure.Lines)
        {
            if (line.X.Length == 0) continue;
            var scatter = plot.Add.Scatter(line.X, line.Y);
            scatter.LegendText = line.Label;
            var summary = line.Label is "average" or "median" || line.Label.StartsWith("mean of", System.StringComparison.Ordinal);
            scatter.Color = summary ? Colors.Black : palette.GetColor(index++);
            scatter.LineWidth = summary ? 3 : 1.5f;
            scatter.MarkerSize = summary ? 0 : 4;
            if (line.Label == "median")
            {
                scatter.LinePattern = LinePattern.Dashed;
                scatter.Color = Colors.DimGray;
            }
        }
        plot.ShowLegend(Edge.Right);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(stem))!);
        var png = stem + ".png";
        var svg = stem + ".svg";
        plot.SavePng(png, Width, Height);
        plot.SaveSvg(svg, Width, Height);
        return (png, svg);
    }
}
