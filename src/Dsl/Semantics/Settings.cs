using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Dsl.Diagnostics;
using Mtrl.Dsl.Syntax;
using Mtrl.Dsl.Text;

namespace Mtrl.Dsl.Semantics;

/// <summary>
/// Typed, checked access to <c>key: value</c> pairs, whether they come from a section body or
/// from a call's named arguments. Every getter applies the default, checks kind and range, and
/// marks the key known, so whatever is left over can be reported as unknown with a suggestion.
/// </summary>
internal sealed class Settings
{
    private readonly Dictionary<string, (Identifier Key, Expression Value)> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private readonly DiagnosticBag _diagnostics;
    private bool _fromArguments;

    private Settings(string context, SourceSpan owner, DiagnosticBag diagnostics)
    {
        Context = context;
        Owner = owner;
        _diagnostics = diagnostics;
    }

    /// <summary>What these settings belong to, for messages ("train", "mlp", "her").</summary>
    public string Context { get; }

    /// <summary>Where missing-setting errors point.</summary>
    public SourceSpan Owner { get; }

    /// <summary>Settings from the <c>key: value</c> items of a section; other items are the caller's.</summary>
    public static Settings FromItems(string context, SourceSpan owner, IEnumerable<Item> items, DiagnosticBag diagnostics)
    {
        var settings = new Settings(context, owner, diagnostics);
        foreach (var item in items)
        {
            if (item.Kind == ItemKind.Setting && item.Name is null && item.Value is not null)
            {
                settings.Add(item.Head, item.Value);
            }
        }
        return settings;
    }

    /// <summary>Settings from a call's named arguments; positional ones are the caller's.</summary>
    public static Settings FromArguments(string context, SourceSpan owner, IEnumerable<Argument> arguments, DiagnosticBag diagnostics)
    {
        var settings = new Settings(context, owner, diagnostics) { _fromArguments = true };
        foreach (var argument in arguments)
        {
            if (argument.Name is not null) settings.Add(argument.Name, argument.Value);
        }
        return settings;
    }

    /// <summary>No settings (a bare option name such as <c>pcgrad</c>).</summary>
    public static Settings Empty(string context, SourceSpan owner, DiagnosticBag diagnostics) =>
        new(context, owner, diagnostics) { _fromArguments = true };

    private void Add(Identifier key, Expression value)
    {
        if (_entries.TryGetValue(key.Text, out var first))
        {
            _diagnostics.Report(DiagnosticCatalog.DuplicateSetting, key.Span,
                $"'{key.Text}' is already set at line {first.Key.Span.Line}, column {first.Key.Span.Column}");
            return;
        }
        _entries.Add(key.Text, (key, value));
    }

    /// <summary>True if the key was written.</summary>
    public bool Has(string key)
    {
        _known.Add(key);
        return _entries.ContainsKey(key);
    }

    /// <summary>Span of the key if written.</summary>
    public SourceSpan? KeySpan(string key) => _entries.TryGetValue(key, out var e) ? e.Key.Span : null;

    /// <summary>Span of the value if written, else the owner.</summary>
    public SourceSpan SpanOf(string key) => _entries.TryGetValue(key, out var e) ? e.Value.Span : Owner;

    /// <summary>The raw value if written.</summary>
    public Expression? Raw(string key)
    {
        _known.Add(key);
        return _entries.TryGetValue(key, out var e) ? e.Value : null;
    }

    public double Real(string key, double fallback, NumberRange range)
    {
        var value = Raw(key);
        return value is null ? fallback : ReadReal(key, value, fallback, range);
    }

    public double RequiredReal(string key, NumberRange range)
    {
        var value = Raw(key);
        if (value is null)
        {
            ReportMissing(key);
            return Math.Max(range.Min, 0);
        }
        return ReadReal(key, value, Math.Max(range.Min, 0), range);
    }

    /// <summary>A whole number in <paramref name="range"/> (narrowed to what an int holds).</summary>
    public int Int(string key, int fallback, NumberRange range) =>
        (int)Long(key, fallback, Narrow(range, int.MinValue, int.MaxValue));

    public int RequiredInt(string key, NumberRange range)
    {
        var value = Raw(key);
        var safe = (int)Math.Max(1, Math.Min(range.Min, int.MaxValue));
        if (value is null)
        {
            ReportMissing(key);
            return safe;
        }
        return (int)ReadInteger(key, value, safe, Narrow(range, int.MinValue, int.MaxValue));
    }

    /// <summary>A whole number in <paramref name="range"/> (narrowed to ±2⁵³, where doubles still hold every integer).</summary>
    public long Long(string key, long fallback, NumberRange range)
    {
        var value = Raw(key);
        return value is null ? fallback : ReadInteger(key, value, fallback, Narrow(range, -MaxExactInteger, MaxExactInteger));
    }

    /// <summary>Largest integer a double (how literals are read) holds exactly.</summary>
    private const long MaxExactInteger = 9_007_199_254_740_991;

    /// <summary>
    /// Intersects <paramref name="range"/> with what the result type holds, so the message states
    /// the range that is really enforced.
    /// </summary>
    private static NumberRange Narrow(NumberRange range, double min, double max) =>
        new(Math.Max(range.Min, min), Math.Min(range.Max, max), range.MinExclusive && range.Min >= min, range.MaxExclusive && range.Max <= max);

    public string String(string key, string fallback)
    {
        var value = Raw(key);
        if (value is null) return fallback;
        if (value is StringLiteral text) return text.Value;
        WrongKind(key, value, "a string in double quotes");
        return fallback;
    }

    public bool Bool(string key, bool fallback)
    {
        var value = Raw(key);
        if (value is null) return fallback;
        if (value is NameExpression { Name.Text: "true" }) return true;
        if (value is NameExpression { Name.Text: "false" }) return false;
        WrongKind(key, value, "true or false");
        return fallback;
    }

    /// <summary>A name from a fixed set, e.g. <c>activation: relu</c>.</summary>
    public T Choice<T>(string key, T fallback, IReadOnlyDictionary<string, T> options)
    {
        var value = Raw(key);
        if (value is null) return fallback;
        if (value is NameExpression name)
        {
            if (options.TryGetValue(name.Name.Text, out var chosen)) return chosen;
            _diagnostics.Report(DiagnosticCatalog.UnknownKeyword, name.Span,
                $"unknown {key} '{name.Name.Text}' for {Context}; expected {Alternatives(options.Keys)}{Suggestions.DidYouMean(name.Name.Text, options.Keys)}");
            return fallback;
        }
        WrongKind(key, value, Alternatives(options.Keys));
        return fallback;
    }

    /// <summary>
    /// A list of layer widths, each in 1..<see cref="SpecLimits.MaxWidth"/>, at most
    /// <see cref="SpecLimits.MaxLayers"/> of them; null when absent.
    /// </summary>
    public EquatableArray<int>? Widths(string key, bool required, bool allowEmpty = false)
    {
        var value = Raw(key);
        if (value is null)
        {
            if (required) ReportMissing(key);
            return null;
        }
        if (value is NumberLiteral single)
        {
            // One width may be written without brackets: widths: 400.
            var w = (int)ReadInteger(key, single, 1, NumberRange.Width, "width");
            return new EquatableArray<int>(new[] { w });
        }
        if (value is not ListExpression list)
        {
            WrongKind(key, value, "a list of widths such as [400, 400]");
            return null;
        }
        if (list.Items.Count == 0 && !allowEmpty)
        {
            _diagnostics.Report(DiagnosticCatalog.OutOfRange, list.Span, $"'{key}' of {Context} needs at least one width");
            return null;
        }
        if (list.Items.Count > SpecLimits.MaxLayers)
        {
            _diagnostics.Report(DiagnosticCatalog.OutOfRange, list.Span,
                $"'{key}' of {Context} must list {(allowEmpty ? 0 : 1)}..{NumberRange.FormatInteger(SpecLimits.MaxLayers)} widths (one per layer), found {NumberRange.FormatInteger(list.Items.Count)}");
            return null;
        }
        var widths = new int[list.Items.Count];
        for (var i = 0; i < widths.Length; i++)
        {
            widths[i] = (int)ReadInteger(key, list.Items[i], 1, NumberRange.Width, "width");
        }
        return new EquatableArray<int>(widths);
    }

    /// <summary>A list of numbers, each in <paramref name="range"/>; null when absent.</summary>
    public double[]? Numbers(string key, NumberRange range)
    {
        var value = Raw(key);
        if (value is null) return null;
        if (value is not ListExpression list)
        {
            WrongKind(key, value, "a list of numbers");
            return null;
        }
        return list.Items.Select(item => ReadReal(key, item, range.Min, range)).ToArray();
    }

    // Names other RL libraries use for our settings, so their users get pointed the right way.
    private static readonly Dictionary<string, string> Synonyms = new(StringComparer.Ordinal)
    {
        ["learning_rate"] = "lr",
        ["batch_size"] = "batch",
        ["discount"] = "gamma",
        ["buffer_size"] = "capacity",
        ["learning_starts"] = "warmup",
        ["total_timesteps"] = "steps",
        ["total_steps"] = "steps",
        ["polyak"] = "tau",
        ["target_update_interval"] = "target_update_every",
        ["train_freq"] = "train_every",
        ["max_grad_norm"] = "grad_clip",
        ["n_sampled_goal"] = "k",
        ["goal_selection_strategy"] = "her",
    };

    /// <summary>Reports every written key that no getter asked for.</summary>
    public void ReportUnknown()
    {
        foreach (var entry in _entries.Values)
        {
            var key = entry.Key.Text;
            if (_known.Contains(key)) continue;
            // Typos of another library's name ("lerning_rate") lead to our name too.
            var synonyms = Synonyms.Where(s => _known.Contains(s.Value)).Select(s => s.Key);
            var closest = Synonyms.ContainsKey(key) ? key : Suggestions.Closest(key, _known.Concat(synonyms));
            var suggestion = closest is not null && Synonyms.TryGetValue(closest, out var ours) ? ours : closest;
            var hint = suggestion is null || !_known.Contains(suggestion) ? "" : $"; did you mean '{suggestion}'?";
            if (_fromArguments)
            {
                _diagnostics.Report(DiagnosticCatalog.UnknownArgument, entry.Key.Span, $"unknown argument '{key}' for {Context}{hint}");
            }
            else
            {
                _diagnostics.Report(DiagnosticCatalog.UnknownKeyword, entry.Key.Span, $"unknown setting '{key}' for {Context}{hint}");
            }
        }
    }

    /// <summary>Reports a present key as having no effect (warning MTRL0406).</summary>
    public void WarnNoEffect(string key, string reason)
    {
        if (KeySpan(key) is { } span)
        {
            _diagnostics.Report(DiagnosticCatalog.NoEffect, span, $"'{key}' has no effect {reason}");
        }
    }

    public void ReportMissing(string key) =>
        _diagnostics.Report(DiagnosticCatalog.Missing, Owner, $"{Context} needs '{key}'");

    private double ReadReal(string key, Expression value, double fallback, NumberRange range)
    {
        if (value is not NumberLiteral number)
        {
            WrongKind(key, value, "a number");
            return fallback;
        }
        if (!number.IsValid) return fallback; // already reported as MTRL0002
        if (!range.Contains(number.Value))
        {
            _diagnostics.Report(DiagnosticCatalog.OutOfRange, number.Span,
                $"'{key}' of {Context} must be {range.Describe(integer: false)}, found {number.Text}");
            return fallback;
        }
        return number.Value;
    }

    private long ReadInteger(string key, Expression value, long fallback, NumberRange range, string what = "")
    {
        var label = what.Length == 0 ? $"'{key}'" : $"each {what} in '{key}'";
        if (value is not NumberLiteral number)
        {
            WrongKind(key, value, "a whole number");
            return fallback;
        }
        if (!number.IsValid) return fallback;
        if (Math.Floor(number.Value) != number.Value)
        {
            _diagnostics.Report(DiagnosticCatalog.WrongKind, number.Span, $"{label} of {Context} must be a whole number, found {number.Text}");
            return fallback;
        }
        if (!range.Contains(number.Value))
        {
            _diagnostics.Report(DiagnosticCatalog.OutOfRange, number.Span,
                $"{label} of {Context} must be {range.Describe(integer: true)}, found {number.Text}");
            return fallback;
        }
        return (long)number.Value;
    }

    public void WrongKind(string key, Expression value, string expected) =>
        _diagnostics.Report(DiagnosticCatalog.WrongKind, value.Span,
            $"'{key}' of {Context} must be {expected}, found {ExpressionText.Describe(value)}");

    public static string Alternatives(IEnumerable<string> options)
    {
        var list = options.Select(o => $"'{o}'").ToList();
        return list.Count switch
        {
            0 => "nothing",
            1 => list[0],
            _ => string.Join(", ", list.Take(list.Count - 1)) + " or " + list[list.Count - 1],
        };
    }
}

/// <summary>Short descriptions of expressions for messages.</summary>
internal static class ExpressionText
{
    public static string Describe(Expression value) => value switch
    {
        NumberLiteral n => $"the number {n.Text}",
        StringLiteral => "a string",
        ListExpression => "a list",
        NameExpression n => $"'{n.Name.Text}'",
        CallExpression c => $"a call to '{c.Callee.Text}'",
        _ => "a value",
    };
}
