namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// The Lua scripts of the Redis store. Redis runs a script alone, start to end, so each is one atomic step for every
/// replica. A script is not rolled back when it fails midway, so <see cref="Apply"/> checks everything before its
/// first write. The shebang line makes Redis refuse a script at its start when it is out of memory, never midway.
/// Every key a script touches carries the store's one hash tag (<see cref="RedisKeyNames"/>).
/// </summary>
internal static class RedisScripts
{
    /// <summary>
    /// Counts the events of one request. KEYS: the set of models, the remembered ids, then per model meta, classes,
    /// cells. ARGV[1]: JSON <c>{ttl, maxIds, maxClasses, maxKeys, w, keys: [{t, v, ev: [{h, n, c, r, j, cr, k, pi, pf, rw, pr}]}]}</c>
    /// — the windows of the request (<see cref="RedisSharedFigures.WriteHeader"/>), per model its tag and the version
    /// the caller holds, per event its digest (hex), the class names it brings in order, its cells as (truth index,
    /// predicted index, count) triples into those names (a relabel's are −1 and +1, and its <c>m</c> the cells its rows
    /// left, kept as "rT,P" fields so counters never go down), its reward as text, its join entry's id, and its rows
    /// and sums for the shared figures (<see cref="RedisSharedFigures.WriteEvent"/>); optionally <c>j</c>, the join's part (<see cref="RedisJoinScripts.ApplyCheck"/>, its entries'
    /// records in ARGV[2…]). First everything is checked: a remembered id is a duplicate; a join entry changed since it
    /// was read, or a join event counted meanwhile, answers {'retry'}; past the class cap or the model cap the whole
    /// request is refused with nothing written. Then new models join the set, new classes get the next ordinals, cells
    /// are added by ordinal pair, the shared figures follow (<see cref="SharedFunctions"/>), ids are remembered until
    /// now + ttl (Redis's clock), each changed model's version goes
    /// up once, and the ids past maxIds are forgotten, soonest to expire first.
    /// Returns {oldest id expiry, ids remembered, per model {version, applied flags, class count, state before the
    /// request (with its reset generation) or false when the caller's version was current, the classes it added in
    /// ordinal order}, the touched deployments' join sums {tag, HGETALL, …}}; or {'classes' | 'models', model, event,
    /// count}; or {'retry'}. With <c>o</c>, the outbox (stream, group, consumer <c>c</c>, the events' first ARGV and
    /// number, <c>f</c> which events the caller expects new, <c>t</c> a turn in ms): the metric events written were
    /// worked out from the state the caller holds, so a model whose version or new events differ answers {'stale',
    /// per model state} and gives the caller the model's turn for t ms (in <c>…:turn</c>), during which another
    /// replica's call with an outbox answers {'wait'} and writes nothing; the caller's next call then finds the model
    /// as it was told, counts, and ends its turn. Without turns, replicas writing one model at once make each other
    /// stale over and over.
    /// </summary>
    public const string Apply = "#!lua\n" + RedisJoinScripts.Functions + SharedFunctions + ApplyStart + RedisJoinScripts.ApplyCheck + ApplyModels + RedisJoinScripts.ApplyWrite + ApplyEnd;

    /// <summary>
    /// Lua functions of the shared figures (<see cref="RedisSharedFigures"/>, whose remarks name the keys). A call's
    /// increments are summed per key and field in an adder (<c>adder()</c>: <c>i</c> integer and <c>f</c> double
    /// increments, each added with <c>add(a.i or a.f, key, field, delta)</c>; <c>b</c> the time windows' buckets of
    /// now that get rows; <c>r</c> rows to push) and written once by <c>flush(a, base, meta, w)</c>: a request of many
    /// events costs a few commands per key, not per event.
    /// <c>shared(a, w, base, meta, e, ord, entry)</c> counts an applied event's rows in the model's probability sums
    /// (and its rank histograms, <c>pr</c>, only there, when its rows are as wide as the model's <c>rw</c>),
    /// its time windows' buckets of now and its list of latest rows, and notes where they went in the join entry; a
    /// relabel (<c>e.m</c>) moves its rows where that note says, in each bucket and list slot still kept, and moves the
    /// sums (the adder is flushed before, so the list holds every row counted). A row scored with another k than the
    /// model's adds no sums. A bucket's first rows list it and delete the buckets that have left its window.
    /// </summary>
    public const string SharedFunctions = """
        local function adder()
          return {i = {}, f = {}, b = {}, r = {}}
        end
        local function add(into, key, field, delta)
          local t = into[key]
          if not t then
            t = {}
            into[key] = t
          end
          t[field] = (t[field] or 0) + tonumber(delta)
        end
        local function sums(a, key, e)
          for x = 1, #e.pi, 2 do
            add(a.i, key, e.pi[x], e.pi[x + 1])
          end
          for x = 1, #e.pf, 2 do
            add(a.f, key, e.pf[x], e.pf[x + 1])
          end
        end
        local function bucket(a, key, e, ord)
          for x = 1, #e.c, 3 do
            add(a.i, key, ord[e.n[e.c[x] + 1]] .. ',' .. ord[e.n[e.c[x + 1] + 1]], e.c[x + 2])
          end
          if e.pi then
            sums(a, key, e)
          end
        end
        local function row(e, ord, x, seq, scored)
          return string.format('%d|%d,%d|%s', seq, ord[e.n[e.cr[x] + 1]], ord[e.n[e.cr[x + 1] + 1]], scored and e.cr[x + 2] or '')
        end
        local function flush(a, base, meta, w)
          for key, t in pairs(a.b) do
            -- A bucket's first rows list it and delete the buckets that have left the window.
            if redis.call('HINCRBY', key, 'n', t.rows) == t.rows then
              local index = base .. 'tw:' .. t.n
              redis.call('ZADD', index, t.i, t.i)
              redis.call('SADD', base .. 'tws', t.n)
              for _, old in ipairs(redis.call('ZRANGEBYSCORE', index, '-inf', t.i - t.b)) do
                redis.call('DEL', index .. ':' .. old)
              end
              redis.call('ZREMRANGEBYSCORE', index, '-inf', t.i - t.b)
            end
          end
          for key, t in pairs(a.i) do
            for field, delta in pairs(t) do
              if delta ~= 0 then
                redis.call('HINCRBY', key, field, string.format('%d', delta))
              end
            end
          end
          for key, t in pairs(a.f) do
            for field, delta in pairs(t) do
              redis.call('HINCRBYFLOAT', key, field, string.format('%.17g', delta))
            end
          end
          for x = 1, #a.r, 1000 do
            redis.call('RPUSH', base .. 'rows', unpack(a.r, x, math.min(x + 999, #a.r)))
          end
          if #a.r > 0 then
            redis.call('LTRIM', base .. 'rows', -w.c, -1)
          end
          if a.s then
            redis.call('HSET', meta, 's', a.s)
          end
          a.i, a.f, a.b, a.r = {}, {}, {}, {}
        end
        local function shared(a, w, base, meta, e, ord, entry)
          if e.pi then
            if not a.k then
              redis.call('HSETNX', base .. 'prob', 'k', e.k)
              a.k = tonumber(redis.call('HGET', base .. 'prob', 'k'))
            end
            if a.k == e.k then
              sums(a, base .. 'prob', e)
              if e.pr then
                -- The rank histograms (cumulative only): rows of another width than the model's first add none.
                if not a.rw then
                  redis.call('HSETNX', base .. 'prob', 'rw', e.rw)
                  a.rw = tonumber(redis.call('HGET', base .. 'prob', 'rw'))
                end
                if a.rw == e.rw then
                  for x = 1, #e.pr, 2 do
                    add(a.i, base .. 'prob', e.pr[x], e.pr[x + 1])
                  end
                end
              end
            else
              e.pi = nil
            end
          end
          if not w then
            return
          end
          local n = #e.cr / 3
          if e.m then
            flush(a, base, meta, w)
            local at = entry and redis.call('HGET', entry, 'w')
            if not at then
              return
            end
            for name, index in string.gmatch(at, ';([^=;]+)=(%d+)') do
              local key = base .. 'tw:' .. name .. ':' .. index
              if redis.call('EXISTS', key) == 1 then
                bucket(a, key, e, ord)
              end
            end
            local head = w.c > 0 and redis.call('LINDEX', base .. 'rows', 0)
            if head then
              local seq = tonumber(string.match(at, '^(%d+)'))
              local first, len = tonumber(string.match(head, '^(%d+)')), redis.call('LLEN', base .. 'rows')
              for r = 0, n - 1 do
                if seq + r >= first and seq + r < first + len then
                  redis.call('LSET', base .. 'rows', seq + r - first, row(e, ord, r * 3 + 1, seq + r, e.pi))
                end
              end
            end
            flush(a, base, meta, w)
            return
          end
          local seq = a.s or tonumber(redis.call('HGET', meta, 's') or '0')
          a.s = seq + n
          local at = tostring(seq)
          for _, t in ipairs(w.t) do
            local key = base .. 'tw:' .. t.n .. ':' .. t.i
            if n > 0 then
              local b = a.b[key]
              if not b then
                b = {n = t.n, i = t.i, b = t.b, rows = 0}
                a.b[key] = b
              end
              b.rows = b.rows + n
            end
            bucket(a, key, e, ord)
            at = at .. ';' .. t.n .. '=' .. t.i
          end
          if w.c > 0 then
            for r = 0, n - 1 do
              a.r[#a.r + 1] = row(e, ord, r * 3 + 1, seq + r, e.pi)
            end
          end
          if entry then
            redis.call('HSET', entry, 'w', at)
          end
        end

        """;

    private const string ApplyStart = """
        local p = cjson.decode(ARGV[1])
        local models, ids = KEYS[1], KEYS[2]
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', ids, '-inf', now)

        """;

    private const string ApplyModels = """
        local plans, fresh = {}, {}
        for i, k in ipairs(p.keys) do
          local count = redis.call('HLEN', KEYS[i * 3 + 1])
          local ord, added, applied, first = {}, {}, {}, nil
          for j, e in ipairs(k.ev) do
            applied[j] = not redis.call('ZSCORE', ids, e.h)
            if applied[j] then
              first = first or j
              for _, name in ipairs(e.n) do
                if ord[name] == nil then
                  local o = redis.call('HGET', KEYS[i * 3 + 1], name)
                  if o then
                    ord[name] = tonumber(o)
                  else
                    ord[name] = count
                    count = count + 1
                    added[#added + 1] = name
                  end
                end
              end
              if count > p.maxClasses then
                return {'classes', i, j, count}
              end
            end
          end
          if first and redis.call('SISMEMBER', models, k.t) == 0 then
            fresh[#fresh + 1] = {i, first}
          end
          plans[i] = {ord = ord, added = added, applied = applied}
        end
        if p.o then
          local function turn(i)
            return string.sub(KEYS[i * 3], 1, -5) .. 'turn'
          end
          local stale = false
          for i, k in ipairs(p.keys) do
            local holder = redis.call('GET', turn(i))
            if holder and holder ~= p.o.c then
              return {'wait'}
            end
            local flags = {}
            for j = 1, #k.ev do
              flags[j] = plans[i].applied[j] and '1' or '0'
            end
            plans[i].flags = table.concat(flags)
            stale = stale or plans[i].flags ~= p.o.f[i] or tonumber(redis.call('HGET', KEYS[i * 3], 'v') or '0') ~= k.v
          end
          if stale then
            local states = {}
            for i, k in ipairs(p.keys) do
              local meta = KEYS[i * 3]
              redis.call('SET', turn(i), p.o.c, 'PX', p.o.t)
              states[i] = {redis.call('HGET', meta, 'v') or '0', plans[i].flags, redis.call('HGETALL', KEYS[i * 3 + 1]), redis.call('HGETALL', KEYS[i * 3 + 2]),
                           redis.call('HGET', meta, 'rt') or '0', redis.call('HGET', meta, 're') or '0', redis.call('HGET', meta, 'g') or '0'}
            end
            return {'stale', states}
          end
          for i = 1, #p.keys do
            if redis.call('GET', turn(i)) == p.o.c then
              redis.call('DEL', turn(i))
            end
          end
          redis.pcall('XGROUP', 'CREATE', p.o.s, p.o.g, '0', 'MKSTREAM')
        end
        if #fresh > 0 then
          local have = redis.call('SCARD', models)
          if have + #fresh > p.maxKeys then
            local over = fresh[math.max(1, p.maxKeys - have + 1)]
            return {'models', over[1], over[2], have}
          end
          for _, f in ipairs(fresh) do
            redis.call('SADD', models, p.keys[f[1]].t)
          end
        end
        local out, added_ids = {}, {}
        for i, k in ipairs(p.keys) do
          local meta, classes, cells = KEYS[i * 3], KEYS[i * 3 + 1], KEYS[i * 3 + 2]
          local base = string.sub(meta, 1, -5)
          local plan = plans[i]
          local version = tonumber(redis.call('HGET', meta, 'v') or '0')
          local before = false
          if version ~= k.v then
            before = {redis.call('HGETALL', classes), redis.call('HGETALL', cells), redis.call('HGET', meta, 'rt') or '0', redis.call('HGET', meta, 're') or '0', redis.call('HGET', meta, 'g') or '0'}
          end
          for _, name in ipairs(plan.added) do
            redis.call('HSET', classes, name, plan.ord[name])
          end
          local flags, any = {}, false
          local a = adder()
          for j, e in ipairs(k.ev) do
            if plan.applied[j] then
              any = true
              flags[j] = '1'
              added_ids[#added_ids + 1] = now + p.ttl
              added_ids[#added_ids + 1] = e.h
              for x = 1, #e.c, 3 do
                add(a.i, cells, plan.ord[e.n[e.c[x] + 1]] .. ',' .. plan.ord[e.n[e.c[x + 1] + 1]], e.c[x + 2])
              end
              for x = 1, #(e.m or {}), 3 do
                add(a.i, cells, 'r' .. plan.ord[e.n[e.m[x] + 1]] .. ',' .. plan.ord[e.n[e.m[x + 1] + 1]], e.m[x + 2])
              end
              if e.r then
                add(a.f, meta, 'rt', e.r)
                add(a.i, meta, 're', 1)
              end
              shared(a, p.w, base, meta, e, plan.ord, e.j and (p.j.p .. 'entry:' .. e.j))
            else
              flags[j] = '0'
            end
          end
          flush(a, base, meta, p.w)
          if any then
            version = redis.call('HINCRBY', meta, 'v', 1)
          end
          out[i] = {version, table.concat(flags), redis.call('HLEN', classes), before, plan.added}
        end

        """;

    private const string ApplyEnd = """
        for x = 1, #added_ids, 1000 do
          redis.call('ZADD', ids, unpack(added_ids, x, math.min(x + 999, #added_ids)))
        end
        local extra = redis.call('ZCARD', ids) - p.maxIds
        if extra > 0 then
          redis.call('ZPOPMIN', ids, extra)
        end
        local oldest = redis.call('ZRANGE', ids, 0, 0, 'WITHSCORES')
        local taken = {}
        if p.o then
          local mine = {}
          for x = p.o.a, p.o.a + p.o.n - 1 do
            local id = redis.call('XADD', p.o.s, '*', 'e', ARGV[x])
            mine[id] = true
            taken[#taken + 1] = id
            taken[#taken + 1] = ''
          end
          local read = redis.call('XREADGROUP', 'GROUP', p.o.g, p.o.c, 'COUNT', p.o.n + 1000, 'STREAMS', p.o.s, '>')
          for _, entry in ipairs(read and read[1][2] or {}) do
            if not mine[entry[1]] then
              taken[#taken + 1] = entry[1]
              taken[#taken + 1] = entry[2][2]
            end
          end
        end
        return {oldest[2] or '0', redis.call('ZCARD', ids), out, joined, taken}
        """;

    /// <summary>
    /// Every model's tag and version, the remembered ids' oldest expiry and number, and the state's epoch: a random
    /// name set once (ARGV[2] when none is set), so a replica sees when Redis lost its data and a new state began.
    /// KEYS: the set of models, the remembered ids, the epoch. ARGV[1]: what comes before a tag in a model's key names.
    /// Returns {{tag, version, …}, oldest id expiry, ids remembered, epoch}.
    /// </summary>
    public const string Versions = """
        #!lua
        redis.call('SET', KEYS[3], ARGV[2], 'NX')
        local out = {}
        for _, tag in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          out[#out + 1] = tag
          out[#out + 1] = redis.call('HGET', ARGV[1] .. tag .. ':meta', 'v') or '0'
        end
        local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
        return {out, oldest[2] or '0', redis.call('ZCARD', KEYS[2]), redis.call('GET', KEYS[3])}
        """;

    /// <summary>
    /// The whole state of some models, read atomically. KEYS: the set of models (it routes the call), then per model
    /// meta, classes, cells. ARGV[1]: JSON [{n: time window, lo: its oldest bucket index now}]. Returns per model
    /// {version, reward total, reward events, classes (name, ordinal, …), cells ("t,p", count, …), reset generation,
    /// probability sums (HGETALL), latest rows, next row sequence, per time window {name, {index, HGETALL, …}}}.
    /// </summary>
    public const string Read = """
        #!lua flags=no-writes
        local q = cjson.decode(ARGV[1])
        local out = {}
        for i = 2, #KEYS, 3 do
          local base = string.sub(KEYS[i], 1, -5)
          local windows = {}
          for _, w in ipairs(q) do
            local buckets = {}
            for _, index in ipairs(redis.call('ZRANGEBYSCORE', base .. 'tw:' .. w.n, w.lo, '+inf')) do
              buckets[#buckets + 1] = index
              buckets[#buckets + 1] = redis.call('HGETALL', base .. 'tw:' .. w.n .. ':' .. index)
            end
            windows[#windows + 1] = w.n
            windows[#windows + 1] = buckets
          end
          out[#out + 1] = {redis.call('HGET', KEYS[i], 'v') or '0', redis.call('HGET', KEYS[i], 'rt') or '0', redis.call('HGET', KEYS[i], 're') or '0',
                           redis.call('HGETALL', KEYS[i + 1]), redis.call('HGETALL', KEYS[i + 2]), redis.call('HGET', KEYS[i], 'g') or '0',
                           redis.call('HGETALL', base .. 'prob'), redis.call('LRANGE', base .. 'rows', 0, -1), redis.call('HGET', KEYS[i], 's') or '0', windows}
        end
        return out
        """;

    /// <summary>
    /// Forgets a model: out of the set of models, its classes, cells, rewards and shared figures (probability sums,
    /// windows) deleted, its version raised so every replica sees the change; the remembered ids stay (a redelivery is
    /// still a duplicate). KEYS: the set of models, meta, classes, cells. ARGV[1]: the tag. Returns 1 when the model had figures, else 0 (and changes nothing).
    /// </summary>
    public const string Reset = """
        #!lua
        if redis.call('SREM', KEYS[1], ARGV[1]) == 0 and redis.call('EXISTS', KEYS[3], KEYS[4]) == 0 then
          return 0
        end
        local base = string.sub(KEYS[2], 1, -5)
        for _, name in ipairs(redis.call('SMEMBERS', base .. 'tws')) do
          for _, index in ipairs(redis.call('ZRANGE', base .. 'tw:' .. name, 0, -1)) do
            redis.call('DEL', base .. 'tw:' .. name .. ':' .. index)
          end
          redis.call('DEL', base .. 'tw:' .. name)
        end
        redis.call('DEL', KEYS[3], KEYS[4], base .. 'tws', base .. 'prob', base .. 'rows')
        redis.call('HDEL', KEYS[2], 'rt', 're')
        redis.call('HINCRBY', KEYS[2], 'g', 1)
        redis.call('HINCRBY', KEYS[2], 'v', 1)
        return 1
        """;

    /// <summary>A delivered metric event leaves the outbox: acknowledged and deleted. KEYS[1]: the stream; ARGV: the group, the entry ids.</summary>
    public const string OutboxDone = """
        #!lua
        for i = 2, #ARGV do
          redis.call('XACK', KEYS[1], ARGV[1], ARGV[i])
          redis.call('XDEL', KEYS[1], ARGV[i])
        end
        return #ARGV - 1
        """;

    /// <summary>
    /// Takes or keeps the exporter lease: the one replica that writes the per-model series. KEYS[1]: the lease.
    /// ARGV: this replica's name, the lease in milliseconds. Returns 1 when this replica holds it, else 0.
    /// </summary>
    public const string HoldLease = """
        #!lua
        local holder = redis.call('GET', KEYS[1])
        if holder == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        if not holder then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return 1
        end
        return 0
        """;

    /// <summary>Gives the exporter lease up (graceful stop) if this replica holds it. KEYS[1]: the lease; ARGV[1]: this replica's name.</summary>
    public const string ReleaseLease = """
        #!lua
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """;
}
