namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// The Lua of the late-truth join on Redis. The decisions are the C# ledger's (<see cref="RedisJoinPlan"/>); these
/// scripts read the entries a request touches, write what was decided (inside <see cref="RedisScripts.Apply"/>, after
/// checking every entry read is unchanged), and forget entries past <c>--join_ttl</c> or the cap, counted. Key names
/// are built from the join prefix (<see cref="RedisKeyNames.JoinPrefix"/>), which carries the store's hash tag, so every
/// key is in the slot of the keys the call names. An entry is a hash: <c>v</c> its version (unique, from <c>seq</c>),
/// <c>b</c> the record (<see cref="JoinBlob"/>), <c>k</c> its kind (r pending response, t parked truth, j joined),
/// <c>s</c> its deployment's tag, <c>m</c> the model its response counts under, <c>pr</c> its pending rows per bin
/// ("bin:rows:confidence;…"), what forgetting it takes out of the deployment's sums without reading the record.
/// A deployment's sums (<c>scope:TAG</c>): <c>t0</c>…<c>t8</c> the totals in <see cref="Core.Join.JoinTotals"/> order,
/// <c>hr</c>/<c>ht</c>/<c>hj</c> entries held per kind, <c>dN</c> label-delay buckets, <c>rnB</c>/<c>rcB</c> the
/// reliability table, <c>pnB</c>/<c>pcB</c> pending rows and their confidence, <c>zr</c>/<c>ze</c>/<c>zc</c> the
/// realized sums, <c>v</c> a version raised by every change.
/// </summary>
internal static class RedisJoinScripts
{
    /// <summary>
    /// Lua functions shared by the scripts: <c>forget(jp, id, reason)</c> deletes an entry and takes it out of its
    /// deployment's sums, counting it by reason ('ttl', 'cap'; 'reset' is not counted); <c>evict(jp, max)</c> forgets
    /// the entries changed longest ago while more than max are held.
    /// </summary>
    public const string Functions = """
        local function forget(jp, id, reason)
          local key = jp .. 'entry:' .. id
          local f = redis.call('HMGET', key, 'k', 's', 'pr')
          redis.call('DEL', key)
          redis.call('ZREM', jp .. 'lru', id)
          if not f[1] then
            return
          end
          local sk = jp .. 'scope:' .. f[2]
          redis.call('HINCRBY', sk, 'v', 1)
          if f[1] == 'j' then
            redis.call('HINCRBY', sk, 'hj', -1)
            if reason ~= 'reset' then
              redis.call('HINCRBY', sk, 't8', 1)
            end
          elseif f[1] == 'r' then
            redis.call('HINCRBY', sk, 'hr', -1)
            for bin, rows, conf in string.gmatch(f[3] or '', '(%d+):(%d+):([^;]+)') do
              redis.call('HINCRBY', sk, 'pn' .. bin, -tonumber(rows))
              redis.call('HINCRBYFLOAT', sk, 'pc' .. bin, '-' .. conf)
            end
            if reason == 'ttl' then
              redis.call('HINCRBY', sk, 't4', 1)
            elseif reason == 'cap' then
              redis.call('HINCRBY', sk, 't6', 1)
            end
          else
            redis.call('HINCRBY', sk, 'ht', -1)
            if reason == 'ttl' then
              redis.call('HINCRBY', sk, 't5', 1)
            elseif reason == 'cap' then
              redis.call('HINCRBY', sk, 't7', 1)
            end
          end
        end
        local function evict(jp, max)
          local n = 0
          while redis.call('ZCARD', jp .. 'lru') > max do
            local head = redis.call('ZPOPMIN', jp .. 'lru')
            forget(jp, head[1], 'cap')
            n = n + 1
          end
          return n
        end

        """;

    /// <summary>
    /// The part of the apply script that runs before its first write: every join event taken as new must still be
    /// unknown, every entry read must still have the version read (absent: 0); else the request is decided again.
    /// </summary>
    public const string ApplyCheck = """
        local j = p.j
        if j then
          for _, h in ipairs(j.h) do
            if redis.call('ZSCORE', ids, h) then
              return {'retry'}
            end
          end
          for _, e in ipairs(j.e) do
            if tonumber(redis.call('HGET', j.p .. 'entry:' .. e.k, 'v') or '0') ~= e.v then
              return {'retry'}
            end
          end
        end

        """;

    /// <summary>
    /// The part of the apply script that writes the join: ids of join events that count no row remembered, entries
    /// written (a new version each) or deleted, the deployments' sums raised by the deltas (HINCRBY / HINCRBYFLOAT, so
    /// replicas never conflict on them), the cap applied; sets <c>joined</c> to the sums of the deployments touched.
    /// </summary>
    public const string ApplyWrite = """
        local joined = {}
        if j then
          for _, h in ipairs(j.r) do
            redis.call('ZADD', ids, now + p.ttl, h)
          end
          for _, e in ipairs(j.e) do
            local key = j.p .. 'entry:' .. e.k
            if e.b then
              redis.call('HSET', key, 'v', redis.call('INCR', j.p .. 'seq'), 'b', ARGV[e.b], 'k', e.kind, 's', e.s, 'm', e.m, 'pr', e.pr)
              redis.call('ZADD', j.p .. 'lru', e.t, e.k)
            elseif e.del then
              redis.call('DEL', key)
              redis.call('ZREM', j.p .. 'lru', e.k)
            end
          end
          for _, s in ipairs(j.s) do
            redis.call('SADD', j.p .. 'scopes', s.t)
            local sk = j.p .. 'scope:' .. s.t
            for x = 1, #s.i, 2 do
              redis.call('HINCRBY', sk, s.i[x], s.i[x + 1])
            end
            for x = 1, #s.f, 2 do
              redis.call('HINCRBYFLOAT', sk, s.f[x], s.f[x + 1])
            end
            redis.call('HINCRBY', sk, 'v', 1)
          end
          evict(j.p, j.max)
          for _, s in ipairs(j.s) do
            joined[#joined + 1] = s.t
            joined[#joined + 1] = redis.call('HGETALL', j.p .. 'scope:' .. s.t)
          end
        end

        """;

    /// <summary>
    /// What a request's join needs before deciding, read atomically. KEYS[1]: the remembered ids. ARGV[1]: the join
    /// prefix; ARGV[2]: JSON {h: digests of the request's events, e: entry ids, s: deployment tags}. Returns {flags
    /// ('1' new, '0' remembered, per digest), per entry {version, record}, per deployment its sums (HGETALL)}.
    /// </summary>
    public const string Read = """
        #!lua flags=no-writes
        local jp, q = ARGV[1], cjson.decode(ARGV[2])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local flags = {}
        for i, h in ipairs(q.h) do
          local s = redis.call('ZSCORE', KEYS[1], h)
          flags[i] = (s and tonumber(s) > now) and '0' or '1'
        end
        local entries = {}
        for i, id in ipairs(q.e) do
          local f = redis.call('HMGET', jp .. 'entry:' .. id, 'v', 'b')
          entries[i] = {f[1] or '0', f[2] or ''}
        end
        local scopes = {}
        for i, tag in ipairs(q.s) do
          scopes[i] = redis.call('HGETALL', jp .. 'scope:' .. tag)
        end
        return {table.concat(flags), entries, scopes}
        """;

    /// <summary>
    /// Forgets, counted, the entries whose last change is --join_ttl ago or more, then the oldest past the cap; any
    /// replica may run it at any time (each entry is forgotten once: the first run deletes it); then reads every
    /// deployment's sums, so a refresh costs one round trip for the join. KEYS: the entry ids by last change, the set
    /// of deployments. ARGV: the join prefix, now (Unix ms, the replica's clock), the TTL (ms), the cap, the most to
    /// forget by TTL in one run. Returns {how many were forgotten, {tag, HGETALL, …}}.
    /// </summary>
    public const string Sweep = "#!lua\n" + Functions + """
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]), 'LIMIT', 0, tonumber(ARGV[5]))
        for _, id in ipairs(due) do
          forget(ARGV[1], id, 'ttl')
        end
        local n = #due + evict(ARGV[1], tonumber(ARGV[4]))
        local out = {}
        for _, tag in ipairs(redis.call('SMEMBERS', KEYS[2])) do
          out[#out + 1] = tag
          out[#out + 1] = redis.call('HGETALL', ARGV[1] .. 'scope:' .. tag)
        end
        return {n, out}
        """;

    /// <summary>Every deployment's sums. KEYS[1]: the set of deployments; ARGV[1]: the join prefix. Returns {tag, HGETALL, …}.</summary>
    public const string Scopes = """
        #!lua flags=no-writes
        local out = {}
        for _, tag in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          out[#out + 1] = tag
          out[#out + 1] = redis.call('HGETALL', ARGV[1] .. 'scope:' .. tag)
        end
        return out
        """;

    /// <summary>
    /// Forgets, not counted as expiries, every entry whose response counts under a model that is being reset (walks
    /// every entry: an admin step, not a hot one). KEYS[1]: the entry ids by last change. ARGV: the join prefix, the
    /// model's tag. Returns how many were forgotten.
    /// </summary>
    public const string Reset = "#!lua\n" + Functions + """
        local n = 0
        for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
          if redis.call('HGET', ARGV[1] .. 'entry:' .. id, 'm') == ARGV[2] then
            forget(ARGV[1], id, 'reset')
            n = n + 1
          end
        end
        return n
        """;
}
