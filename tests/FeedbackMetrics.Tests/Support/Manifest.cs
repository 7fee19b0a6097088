using k8s;
using YamlDotNet.Serialization;

namespace FeedbackMetrics.Tests.Support;

/// <summary>One Kubernetes document: its kind, its text (for typed parsing with KubernetesClient) and a generic tree (for CRDs).</summary>
public sealed record Manifest(string ApiVersion, string Kind, string Name, string Yaml, Dictionary<object, object> Tree)
{
    private static readonly IDeserializer Generic = new DeserializerBuilder().Build();
    private static readonly ISerializer Serializer = new SerializerBuilder().Build();

    public static List<Manifest> ParseAll(string yaml)
    {
        var manifests = new List<Manifest>();
        foreach (var document in System.Text.RegularExpressions.Regex.Split(yaml, "^---\\s*$", System.Text.RegularExpressions.RegexOptions.Multiline))
        {
            var tree = Generic.Deserialize<Dictionary<object, object>?>(document);
            if (tree is null || tree.Count == 0)
            {
                continue;
            }

            var metadata = (Dictionary<object, object>)tree["metadata"];
            manifests.Add(new Manifest((string)tree["apiVersion"], (string)tree["kind"], (string)metadata["name"], document, tree));
        }

        return manifests;
    }

    /// <summary>The document as a KubernetesClient model (fails for a kind the model does not fit).</summary>
    public T As<T>() => KubernetesYaml.Deserialize<T>(Yaml, strict: true);

    /// <summary>A part of the generic tree (a CRD's spec.template.spec, say) as a KubernetesClient model.</summary>
    public T PartAs<T>(params string[] path) => PartAs<T>(path, []);

    /// <summary>As <see cref="PartAs{T}(string[])"/>, leaving out keys that belong to a wider type (Knative's RevisionSpec fields around a PodSpec).</summary>
    public T PartAs<T>(string[] path, string[] without)
    {
        var node = new Dictionary<object, object>((Dictionary<object, object>)At(path)!);
        foreach (var key in without)
        {
            node.Remove(key);
        }

        return KubernetesYaml.Deserialize<T>(Serializer.Serialize(node), strict: true);
    }

    /// <summary>A part of the generic tree written back as YAML (a PrometheusRule's spec as a rule file, say).</summary>
    public string PartAsYaml(params string[] path) => Serializer.Serialize(At(path));

    public object? At(params string[] path)
    {
        object? node = Tree;
        foreach (var step in path)
        {
            if (node is not Dictionary<object, object> map || !map.TryGetValue(step, out node))
            {
                return null;
            }
        }

        return node;
    }
}
