using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Server.Storage.Sqlite;

/// <summary>
/// What the state file keeps, each a blob: a change set (a journal row), a model's image, a deployment's join counts,
/// a join entry, a metric event waiting for the reply URL. Each starts with its format's version byte; a blob of another
/// version is refused (a state file is written by one version of this design, <see cref="SqliteSchema"/>).
/// </summary>
internal static class RecordCodec
{
    private const byte Format = 2;

    private enum Tag : byte
    {
        Id = 1,
        Counted = 2,
        Moved = 3,
        Join = 4,
        Reset = 5,
        Reply = 6,
        Names = 7,
    }

    public static void WriteChangeSet(BinaryWriter w, ChangeSet changes)
    {
        w.Write(Format);
        w.Write(changes.DecidedAt);
        w.Write(changes.Changes.Count);
        foreach (var change in changes.Changes)
        {
            switch (change)
            {
                case IdRemembered id:
                    w.Write((byte)Tag.Id);
                    w.Write((ulong)(id.Digest >> 64));
                    w.Write((ulong)id.Digest);
                    w.Write(id.ExpiresAt);
                    break;
                case RowsCounted counted:
                    w.Write((byte)Tag.Counted);
                    w.Write(counted.Key);
                    w.Write(counted.NewClasses);
                    w.Write(counted.Rows);
                    w.WriteOptional(counted.Reward);
                    w.Write(counted.Segments);
                    break;
                case RowsMoved moved:
                    w.Write((byte)Tag.Moved);
                    w.Write(moved.Key);
                    w.Write(moved.NewClasses);
                    w.Write(moved.Segments);
                    w.Write(moved.Moves.Length);
                    foreach (var (stamp, was, to) in moved.Moves)
                    {
                        w.Write(new CountedRow(stamp, was));
                        w.Write(to);
                    }

                    break;
                case JoinChanged joined:
                    w.Write((byte)Tag.Join);
                    w.Write(joined.Scope.Namespace);
                    w.Write(joined.Scope.Deployment);
                    w.Write(joined.RequestId);
                    w.Write((byte)joined.Step);
                    w.Write(joined.Entry is not null);
                    if (joined.Entry is { } entry)
                    {
                        WriteEntry(w, entry);
                    }

                    break;
                case ModelReset reset:
                    w.Write((byte)Tag.Reset);
                    w.Write(reset.Key);
                    break;
                case ClassNamesSet named:
                    w.Write((byte)Tag.Names);
                    w.Write(named.Key);
                    w.Write(named.Names);
                    break;
                case ReplyPosted posted:
                    w.Write((byte)Tag.Reply);
                    w.Write(posted.Seq);
                    WriteReply(w, posted.Reply);
                    break;
                default:
                    throw new ArgumentException($"Unknown change {change.GetType().Name}.", nameof(changes));
            }
        }
    }

    public static ChangeSet ReadChangeSet(BinaryReader r)
    {
        CheckFormat(r, "journal row");
        var changes = new ChangeSet(r.ReadTime());
        var count = r.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            changes.Add((Tag)r.ReadByte() switch
            {
                Tag.Id => new IdRemembered(new UInt128(r.ReadUInt64(), r.ReadUInt64()), r.ReadInt64()),
                Tag.Counted => new RowsCounted(r.ReadKey(), r.ReadNames(), r.ReadCountedRows()!, r.ReadOptionalDouble()) { Segments = r.ReadSegments() },
                Tag.Moved => ReadMoved(r),
                Tag.Join => new JoinChanged(new JoinScope(r.ReadString(), r.ReadString()), r.ReadString(), (JoinStep)r.ReadByte(), r.ReadBoolean() ? ReadEntry(r) : null),
                Tag.Reset => new ModelReset(r.ReadKey()),
                Tag.Reply => new ReplyPosted(r.ReadInt64(), ReadReply(r)),
                Tag.Names => new ClassNamesSet(r.ReadKey(), r.ReadNames()),
                var tag => throw new InvalidDataException($"A journal row holds an unknown change (tag {(byte)tag})."),
            });
        }

        return changes;
    }

    public static void WriteModel(BinaryWriter w, ModelImage model)
    {
        w.Write(Format);
        w.Write(model.Key);
        w.Write(model.Classes);
        w.Write(model.Matrix);
        w.Write(model.Relabelled is not null);
        if (model.Relabelled is { } relabelled)
        {
            w.Write(relabelled);
        }

        w.Write(model.Count);
        w.Write(model.RewardTotal);
        w.Write(model.RewardEvents);
        w.Write(model.Probabilities);
        w.Write(model.TopK);
        w.Write(model.Windows.Count);
        foreach (var window in model.Windows)
        {
            w.Write(window.Name);
            w.Write(window.NextSequence);
            w.Write(window.Rows.Count);
            foreach (var (sequence, row) in window.Rows)
            {
                w.Write(sequence);
                w.Write(row);
            }

            w.Write(window.Sums);
            w.Write(window.Buckets.Count);
            foreach (var bucket in window.Buckets)
            {
                w.Write(bucket);
            }
        }

        w.Write(model.Segments.Count);
        foreach (var ((name, value), image) in model.Segments)
        {
            w.Write(name);
            w.Write(value);
            WriteModel(w, image);
        }
    }

    public static ModelImage ReadModel(BinaryReader r)
    {
        CheckFormat(r, "model");
        var key = r.ReadKey();
        var classes = r.ReadNames();
        var matrix = r.ReadLongs();
        var relabelled = r.ReadBoolean() ? r.ReadLongs() : null;
        var (count, rewardTotal, rewardEvents) = (r.ReadInt64(), r.ReadDouble(), r.ReadInt64());
        var sums = r.ReadSums() ?? new Core.Statistics.ProbabilitySums();
        var topK = r.ReadInt32();
        var windows = new WindowImage[r.ReadInt32()];
        for (var i = 0; i < windows.Length; i++)
        {
            var (name, next) = (r.ReadString(), r.ReadInt64());
            var rows = new (long, WindowRow)[r.ReadInt32()];
            for (var j = 0; j < rows.Length; j++)
            {
                rows[j] = (r.ReadInt64(), r.ReadWindowRow());
            }

            var windowSums = r.ReadSums();
            var buckets = new BucketState[r.ReadInt32()];
            for (var j = 0; j < buckets.Length; j++)
            {
                buckets[j] = r.ReadBucket();
            }

            windows[i] = new WindowImage(name, rows, windowSums, buckets, next);
        }

        var segments = new (SegmentValue, ModelImage)[r.ReadInt32()];
        for (var i = 0; i < segments.Length; i++)
        {
            segments[i] = (new SegmentValue(r.ReadString(), r.ReadString()), ReadModel(r));
        }

        return new ModelImage(key, classes, matrix, relabelled, count, rewardTotal, rewardEvents, sums, topK, windows) { Segments = segments };
    }

    public static void WriteScope(BinaryWriter w, JoinScopeState state)
    {
        w.Write(Format);
        w.Write(state.Scope.Namespace);
        w.Write(state.Scope.Deployment);
        w.Write(state.Totals.ToArray());
        w.Write([.. state.DelayCounts]);
        w.Write([.. state.ReliabilityRows]);
        w.Write([.. state.ReliabilityCorrect]);
        w.Write(state.RealizedRows);
        w.Write(state.RealizedExpected);
        w.Write(state.RealizedCorrect);
        var held = state.Held ?? throw new ArgumentException($"The join state of {state.Scope} does not say what it holds.", nameof(state));
        w.Write(held.PendingResponses);
        w.Write(held.ParkedTruths);
        w.Write(held.JoinedHeld);
        w.Write([.. held.PendingRows]);
        w.Write([.. held.PendingConfidence]);
    }

    public static JoinScopeState ReadScope(BinaryReader r)
    {
        CheckFormat(r, "join deployment");
        var scope = new JoinScope(r.ReadString(), r.ReadString());
        var totals = JoinTotals.FromArray(r.ReadLongs());
        var (delay, rows, correct) = (r.ReadLongs(), r.ReadLongs(), r.ReadLongs());
        var (realizedRows, realizedExpected, realizedCorrect) = (r.ReadInt64(), r.ReadDouble(), r.ReadInt64());
        var held = new JoinHeld(r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadLongs(), r.ReadDoubles());
        return new JoinScopeState(scope, totals, delay, rows, correct, realizedRows, realizedExpected, realizedCorrect) { Held = held };
    }

    public static void WriteEntry(BinaryWriter w, RequestEntry entry)
    {
        w.Write(Format);
        w.Write(entry.Key);
        w.Write(entry.Response);
        w.Write(entry.ResponseArrived);
        w.Write(entry.Truth);
        w.WriteOptional(entry.Reward);
        w.Write(entry.TruthArrived);
        w.Write(entry.CountedAt);
        w.Write(entry.Counted);
        w.Write(entry.LastChange);
        w.Write(entry.Stamp);
        w.Write(entry.Segments);
    }

    /// <summary>A join entry; with <paramref name="names"/>, its key's strings are shared with every other entry's (a load of many).</summary>
    public static RequestEntry ReadEntry(BinaryReader r, StringPool? names = null)
    {
        CheckFormat(r, "join entry");
        var key = r.ReadKey();
        key = names is null ? key : new(names.Of(key.Namespace), names.Of(key.Deployment), names.Of(key.Predictor), names.Of(key.Model));
        return new RequestEntry(key, r.ReadResponse(), r.ReadTime(), r.ReadTruth(), r.ReadOptionalDouble(), r.ReadTime(), r.ReadTime(), r.ReadCountedRows(), r.ReadTime(), r.ReadInt64()) { Segments = r.ReadSegments() };
    }

    public static void WriteReply(BinaryWriter w, MetricReply reply)
    {
        w.Write(Format);
        w.Write(reply.Id);
        w.Write(reply.Time);
        w.Write(reply.Extensions.Count);
        foreach (var (name, value) in reply.Extensions)
        {
            w.Write(name);
            w.Write(value);
        }

        w.Write(reply.Binary);
        w.Write(reply.Rows);
        var f = reply.Figures;
        w.Write(f.Key);
        w.Write(f.ClassCount);
        w.Write(f.Count);
        w.Write(f.Accuracy);
        w.Write(f.Macro);
        w.Write(f.Micro);
        w.Write(f.Weighted);
        w.Write(f.Touched.Length);
        foreach (var c in f.Touched)
        {
            w.Write(c.Class);
            w.Write(c.Precision);
            w.Write(c.Recall);
            w.Write(c.F1);
            w.Write(c.Support);
        }

        w.Write(f.Reward is not null);
        if (f.Reward is { } reward)
        {
            w.Write(reward.Total);
            w.Write(reward.Events);
            w.Write(reward.Mean);
        }
    }

    public static MetricReply ReadReply(BinaryReader r)
    {
        CheckFormat(r, "metric event");
        var (id, time) = (r.ReadString(), r.ReadTime());
        var extensions = new KeyValuePair<string, string>[r.ReadInt32()];
        for (var i = 0; i < extensions.Length; i++)
        {
            extensions[i] = new(r.ReadString(), r.ReadString());
        }

        var binary = r.ReadBoolean();
        var rows = r.ReadObservations();
        var (key, classCount, count, accuracy) = (r.ReadKey(), r.ReadInt32(), r.ReadInt64(), r.ReadDouble());
        var (macro, micro, weighted) = (r.ReadAveraged(), r.ReadAveraged(), r.ReadAveraged());
        var touched = new ClassFigures[r.ReadInt32()];
        for (var i = 0; i < touched.Length; i++)
        {
            touched[i] = new ClassFigures(r.ReadString(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadInt64());
        }

        var reward = r.ReadBoolean() ? new RewardFigures(r.ReadDouble(), r.ReadInt64(), r.ReadDouble()) : null;
        return new MetricReply(id, time, extensions, binary, rows, new ReplyFigures(key, classCount, count, accuracy, macro, micro, weighted, touched, reward));
    }

    private static RowsMoved ReadMoved(BinaryReader r)
    {
        var (key, names, segments) = (r.ReadKey(), r.ReadNames(), r.ReadSegments());
        var moves = new RowMove[r.ReadInt32()];
        for (var i = 0; i < moves.Length; i++)
        {
            var was = r.ReadCountedRow();
            moves[i] = new RowMove(was.Stamp, was.Row, r.ReadWindowRow());
        }

        return new RowsMoved(key, names, moves) { Segments = segments };
    }

    private static void CheckFormat(BinaryReader r, string what)
    {
        var format = r.ReadByte();
        if (format != Format)
        {
            throw new InvalidDataException($"A {what} in the state file has format {format}; this server reads format {Format}.");
        }
    }
}
