// The ceiling of the load benchmark: Kestrel, the same slim builder and logging as the server, an endpoint
// that reads the whole body and answers 202. What our server does beyond this is what the ratio measures.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
app.MapPost("/", async (HttpContext context) =>
{
    var buffer = new byte[4096];
    while (await context.Request.Body.ReadAsync(buffer) > 0)
    {
    }

    return Results.StatusCode(StatusCodes.Status202Accepted);
});
app.Run();
