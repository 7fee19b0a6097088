# Feedback metrics server image: a drop-in for Seldon's alibi-detect-server MetricsServer image.
# Takes Seldon's arguments unchanged, e.g.
#   --model_name multiclassserver --http_port 8080 --protocol seldonfeedback.http
#   --storage_uri adserver.cm_models.multiclass_one_hot.MulticlassOneHot --reply_url http://… MetricsServer
# Runs as uid 8888, works with a read-only root filesystem; state lives in the volume /var/lib/feedback-metrics.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
# The tests run this same publish command (DockerfileTests) and start what it produces.
RUN dotnet publish src/FeedbackMetrics.Server/FeedbackMetrics.Server.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
RUN mkdir -p /var/lib/feedback-metrics && chown 8888:8888 /var/lib/feedback-metrics
ENV FeedbackMetrics__State__Dir=/var/lib/feedback-metrics \
    DOTNET_EnableDiagnostics=0 \
    DOTNET_gcServer=0
VOLUME /var/lib/feedback-metrics
USER 8888:8888
EXPOSE 8080
ENTRYPOINT ["dotnet", "/app/FeedbackMetrics.Server.dll"]
