namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// The Lua the state log runs. No rule of the engine is here: a script checks that the log is where the replica's
/// decision read it, appends, and keeps the outbox and the leases.
/// </summary>
internal static class RedisScripts
{
    /// <summary>
    /// Appends each partition's part of a change set if that partition's log is still at the version the decision was
    /// made on: several partitions in one call on a single Redis, one partition per call on a cluster (its keys are in
    /// its own slot). KEYS: each partition's head, log and outbox, in turn. ARGV: epoch, the outbox group, this
    /// replica's consumer name, then per partition: the version read, its part of the change set, how many metric
    /// events to keep, one blob per metric event. Returns per partition, in order: {1, version, id, '', …, older id,
    /// blob, …} (the metric events written and taken for this replica, then older ones no replica had taken), {0,
    /// version, {{id, {'c', blob}}, …}} when another replica appended first (the change sets this replica missed, up to
    /// 512, so catching up takes no call of its own), {-1} when the partition belongs to another epoch (Redis lost the
    /// state).
    /// </summary>
    public const string Commit = """
        #!lua
        local epoch, group, consumer = ARGV[1], ARGV[2], ARGV[3]
        local out = {}
        local a = 4
        for k = 1, #KEYS, 3 do
          local head, log, outbox = KEYS[k], KEYS[k + 1], KEYS[k + 2]
          local read, blob, count = tonumber(ARGV[a]), ARGV[a + 1], tonumber(ARGV[a + 2])
          local first = a + 3
          a = first + count
          local now = redis.call('HMGET', head, 'epoch', 'version')
          local version = tonumber(now[2] or '0')
          if now[1] and now[1] ~= epoch then
            out[#out + 1] = {-1}
          elseif version ~= read then
            out[#out + 1] = {0, version, redis.call('XRANGE', log, (read + 1) .. '-1', '+', 'COUNT', 512)}
          else
            version = version + 1
            redis.call('HSET', head, 'epoch', epoch, 'version', version)
            redis.call('XADD', log, version .. '-1', 'c', blob)
            local r = {1, version}
            if count > 0 then
              local mine = {}
              for x = first, first + count - 1 do
                local id = redis.call('XADD', outbox, '*', 'e', ARGV[x])
                mine[id] = true
                r[#r + 1] = id
                r[#r + 1] = ''
              end
              local taken = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count + 1000, 'STREAMS', outbox, '>')
              for _, entry in ipairs(taken and taken[1][2] or {}) do
                if not mine[entry[1]] then
                  r[#r + 1] = entry[1]
                  r[#r + 1] = entry[2][2]
                end
              end
            end
            out[#out + 1] = r
          end
        end
        return out
        """;

    /// <summary>
    /// What a replica needs to follow a partition. KEYS: its head, log. ARGV: the first entry id wanted, how many at
    /// most. Returns {epoch, version, {{id, {'c', blob}}, …}}.
    /// </summary>
    public const string Follow = """
        #!lua
        local head = redis.call('HMGET', KEYS[1], 'epoch', 'version')
        return {head[1] or '', tonumber(head[2] or '0'), redis.call('XRANGE', KEYS[2], ARGV[1], '+', 'COUNT', ARGV[2])}
        """;

    /// <summary>
    /// What a replica needs to know of the whole state. KEYS: head, partitions. Returns {epoch, snapshot generation,
    /// {partition, …}}.
    /// </summary>
    public const string State = """
        #!lua
        local head = redis.call('HMGET', KEYS[1], 'epoch', 'snapshot')
        return {head[1] or '', tonumber(head[2] or '0'), redis.call('SMEMBERS', KEYS[2])}
        """;

    /// <summary>
    /// Makes a partition agree with the snapshot a replica loaded. KEYS: its head, log. ARGV: epoch, the last change set
    /// of it the snapshot holds. A partition of another epoch (left by a state Redis lost) starts over empty; a
    /// partition behind the snapshot (its master failed over without the last writes) goes on after it. Returns {0,
    /// version} when it agreed already, {1, version} when it started over, {2, version} when it was moved on.
    /// </summary>
    public const string Repair = """
        #!lua
        local head = redis.call('HMGET', KEYS[1], 'epoch', 'version')
        local version = tonumber(head[2] or '0')
        local through = tonumber(ARGV[2])
        if head[1] and head[1] ~= ARGV[1] then
          version = math.max(version, through)
          redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'version', version)
          redis.call('XTRIM', KEYS[2], 'MAXLEN', 0)
          return {1, version}
        end
        if version < through then
          redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'version', through)
          return {2, through}
        end
        return {0, version}
        """;

    /// <summary>
    /// Makes a written snapshot the latest: KEYS: head, the new snapshot, its versions, the old snapshot, its versions.
    /// ARGV: epoch, the old generation, the new one. Deletes the old snapshot. Returns 1, or 0 when the epoch or the
    /// latest generation changed meanwhile (the new one is deleted). The replica then trims each partition's log.
    /// </summary>
    public const string Switch = """
        #!lua
        local head = redis.call('HMGET', KEYS[1], 'epoch', 'snapshot')
        if head[1] ~= ARGV[1] or tonumber(head[2] or '0') ~= tonumber(ARGV[2]) then
          redis.call('DEL', KEYS[2], KEYS[3])
          return 0
        end
        redis.call('HSET', KEYS[1], 'snapshot', ARGV[3])
        redis.call('DEL', KEYS[4], KEYS[5])
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
    /// Takes or keeps the exporter lease: the one replica that writes the per-model series, judges the alerts and writes the snapshots. KEYS[1]:
    /// the lease. ARGV: this replica's name, the lease in milliseconds. Returns 1 when this replica holds it, else 0.
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
