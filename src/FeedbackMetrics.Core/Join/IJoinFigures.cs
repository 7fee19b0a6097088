namespace FeedbackMetrics.Core.Join;

/// <summary>The join's figures per namespace and deployment, as the JSON view, the exposition and the web view read them.</summary>
public interface IJoinFigures
{
    /// <summary>The figures of one deployment, or null when the join has seen nothing of it.</summary>
    JoinFigures? Figures(JoinScope scope);

    /// <summary>The figures of every deployment the join has seen, ordered by namespace then deployment.</summary>
    List<JoinFigures> FiguresAll();
}
