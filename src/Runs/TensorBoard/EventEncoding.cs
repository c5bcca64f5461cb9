using System;
using System.Collections.Generic;
using System.IO;
using Google.Protobuf;

namespace Mtrl.Runs.TensorBoard;

/// <summary>
/// The two TensorFlow <c>Event</c> messages a scalar log needs, encoded with Google.Protobuf's
/// wire-format writer (field numbers from tensorflow/core/util/event.proto and
/// tensorflow/core/framework/summary.proto): the file-version event that opens every file, and
/// an event holding a <c>Summary</c> of <c>simple_value</c> scalars at one step.
/// </summary>
public static class EventEncoding
{
    /// <summary>The version string TensorBoard expects in the first event.</summary>
    public const string FileVersion = "brain.Event:2";

    // Event
    internal const int WallTimeField = 1;   // double
    internal const int StepField = 2;       // int64
    internal const int FileVersionField = 3; // string
    internal const int SummaryField = 5;    // Summary

    // Summary.value (repeated Summary.Value)
    internal const int SummaryValueField = 1;

    // Summary.Value
    internal const int TagField = 1;         // string
    internal const int SimpleValueField = 2; // float

    /// <summary><c>Event { wall_time, file_version: "brain.Event:2" }</c>.</summary>
    public static byte[] FileVersionEvent(double wallTime) => Message(output =>
    {
        output.WriteTag(WallTimeField, WireFormat.WireType.Fixed64);
        output.WriteDouble(wallTime);
        output.WriteTag(FileVersionField, WireFormat.WireType.LengthDelimited);
        output.WriteString(FileVersion);
    });

    /// <summary><c>Event { wall_time, step, summary { value { tag, simple_value } … } }</c>.</summary>
    public static byte[] ScalarsEvent(double wallTime, long step, IEnumerable<KeyValuePair<string, float>> scalars)
    {
        var summary = Message(output =>
        {
            foreach (var (tag, value) in scalars)
            {
                output.WriteTag(SummaryValueField, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(ByteString.CopyFrom(Message(item =>
                {
                    item.WriteTag(TagField, WireFormat.WireType.LengthDelimited);
                    item.WriteString(tag);
                    item.WriteTag(SimpleValueField, WireFormat.WireType.Fixed32);
                    item.WriteFloat(value);
                })));
            }
        });
        return Message(output =>
        {
            output.WriteTag(WallTimeField, WireFormat.WireType.Fixed64);
            output.WriteDouble(wallTime);
            output.WriteTag(StepField, WireFormat.WireType.Varint);
            output.WriteInt64(step);
            output.WriteTag(SummaryField, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(summary));
        });
    }

    /// <summary>The bytes of one message written field by field.</summary>
    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var memory = new MemoryStream();
        var output = new CodedOutputStream(memory);
        write(output);
        output.Flush();
        return memory.ToArray();
    }
}
