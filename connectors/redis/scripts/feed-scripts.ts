/**
 * Lua scripts of the feed stores, kept apart from the TypeScript that calls them (as BullMQ does). They are
 * TypeScript string constants rather than .lua files so that the compiled package needs no asset copying.
 * Each runs atomically. All but feedWriteBatch touch the keys of one user only (one `{user}` hash tag, so
 * one Redis Cluster slot); feedWriteBatch spans users and needs a standalone (or Sentinel) primary.
 *
 * Lua's `<` on strings follows the server's collation locale, so member order is compared byte by byte
 * (`bytes_less`), as Redis itself orders equal-score members.
 */

export interface FeedScript {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
}

const BYTES_LESS = `
local function bytes_less(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
`;

/**
 * Writes a chunk of a consumed batch in one call: each item's body and activity entry (the activity feed is
 * trimmed to the cap and the bodies of trimmed items dropped: a body lives as long as its item is among its
 * author's newest `cap`), then each inbox's new members (ZADD, then trimmed to
 * the cap when it overflows). Doing the per-inbox ZADD/trim inside Redis costs a fraction of sending them
 * as commands: the batch is one round trip and one command to parse.
 * KEYS: activity₁, items₁, …, activityₙ, itemsₙ, inbox₁, …, inboxₘ.
 * ARGV: cap, n, then n × (score, member, event id, body JSON), then for each inbox: k, k × (score, member).
 * Returns the number of inbox members newly added (redeliveries add none).
 * The keys span many hash slots: this script is for a standalone Redis (or one Sentinel-managed primary).
 */
export const feedWriteBatch: FeedScript = {
  name: 'quintetFeedWriteBatch',
  numberOfKeys: -1,
  lua: `
local cap = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local a = 3
for i = 1, n do
  local activity, items = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('HSET', items, ARGV[a + 2], ARGV[a + 3])
  redis.call('ZADD', activity, ARGV[a], ARGV[a + 1])
  local excess = redis.call('ZCARD', activity) - cap
  if excess > 0 then
    local trimmed = redis.call('ZRANGE', activity, 0, excess - 1)
    redis.call('ZREMRANGEBYRANK', activity, 0, excess - 1)
    for _, member in ipairs(trimmed) do
      local slash = string.find(member, '/', 1, true)
      if slash then redis.call('HDEL', items, string.sub(member, slash + 1)) end
    end
  end
  a = a + 4
end
local added = 0
for k = 2 * n + 1, #KEYS do
  local inbox = KEYS[k]
  local count = tonumber(ARGV[a])
  a = a + 1
  for j = 1, count do
    added = added + redis.call('ZADD', inbox, ARGV[a], ARGV[a + 1])
    a = a + 2
  end
  if redis.call('ZCARD', inbox) > cap then redis.call('ZREMRANGEBYRANK', inbox, 0, -(cap + 1)) end
end
return added
`,
};

/**
 * One page of a sorted feed in (score desc, member desc) order, strictly after the cursor (score, member):
 * first the members tied at the cursor's score that sort below the cursor member, then lower scores.
 * KEYS: zset. ARGV: limit, cursor score ('' for the first page), cursor member.
 * Returns a flat [member, score, member, score, ...].
 */
export const feedRange: FeedScript = {
  name: 'quintetFeedRange',
  numberOfKeys: 1,
  lua: `${BYTES_LESS}
local limit = tonumber(ARGV[1])
if ARGV[2] == '' then
  return redis.call('ZRANGE', KEYS[1], '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, limit, 'WITHSCORES')
end
local out = {}
local ties = redis.call('ZRANGE', KEYS[1], ARGV[2], ARGV[2], 'BYSCORE', 'REV', 'WITHSCORES')
for i = 1, #ties, 2 do
  if #out >= limit * 2 then return out end
  if bytes_less(ties[i], ARGV[3]) then
    out[#out + 1] = ties[i]
    out[#out + 1] = ties[i + 1]
  end
end
local rest = limit - #out / 2
if rest <= 0 then return out end
local lower = redis.call('ZRANGE', KEYS[1], '(' .. ARGV[2], '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, rest, 'WITHSCORES')
for i = 1, #lower do out[#out + 1] = lower[i] end
return out
`,
};

/**
 * Removes from an inbox every member whose author is ARGV[1] (members start with `<author>/`).
 * KEYS: inbox. ARGV: author. Returns how many were removed.
 */
export const inboxRemoveAuthor: FeedScript = {
  name: 'quintetFeedInboxRemoveAuthor',
  numberOfKeys: 1,
  lua: `
local prefix = ARGV[1] .. '/'
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local removed = 0
local batch = {}
for _, member in ipairs(members) do
  if string.sub(member, 1, #prefix) == prefix then
    batch[#batch + 1] = member
    if #batch == 500 then
      removed = removed + redis.call('ZREM', KEYS[1], unpack(batch))
      batch = {}
    end
  end
end
if #batch > 0 then removed = removed + redis.call('ZREM', KEYS[1], unpack(batch)) end
return removed
`,
};

/**
 * Writes one aggregated notification in place (count > 0) or removes it (count 0), trimming the feed to
 * the cap and forgetting the seen/read marks of removed notifications.
 * KEYS: index, items, seen marks, read marks. ARGV: id, count, updated-at, body JSON, cap.
 */
export const notificationUpsert: FeedScript = {
  name: 'quintetNotificationUpsert',
  numberOfKeys: 4,
  lua: `
local id = ARGV[1]
if tonumber(ARGV[2]) <= 0 then
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
  return 0
end
redis.call('HSET', KEYS[2], id, ARGV[4])
redis.call('ZADD', KEYS[1], ARGV[3], id)
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[5])
if excess > 0 then
  local trimmed = redis.call('ZRANGE', KEYS[1], 0, excess - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, excess - 1)
  for _, old in ipairs(trimmed) do
    redis.call('HDEL', KEYS[2], old)
    redis.call('HDEL', KEYS[3], old)
    redis.call('HDEL', KEYS[4], old)
  end
end
return 1
`,
};

/**
 * Unseen and unread counts: a notification is seen when updated at or before the seen watermark, or when
 * its per-item seen mark is at or after its update time (same for read).
 * KEYS: index, watermarks, seen marks, read marks. Returns {total, unseen, unread}.
 */
export const notificationCounts: FeedScript = {
  name: 'quintetNotificationCounts',
  numberOfKeys: 4,
  lua: `
local function unmarked(field, marks)
  local watermark = redis.call('HGET', KEYS[2], field)
  local min = '-inf'
  if watermark then min = '(' .. watermark end
  local entries = redis.call('ZRANGE', KEYS[1], min, '+inf', 'BYSCORE', 'WITHSCORES')
  local n = 0
  for i = 1, #entries, 2 do
    local at = redis.call('HGET', marks, entries[i])
    if not at or tonumber(at) < tonumber(entries[i + 1]) then n = n + 1 end
  end
  return n
end
return { redis.call('ZCARD', KEYS[1]), unmarked('seen', KEYS[3]), unmarked('read', KEYS[4]) }
`,
};

/**
 * Marks seen or read. Mode `item`: the notification ARGV[3] at its current update time (a later update
 * makes it unseen/unread again). Mode `upto`: raises the watermark to ARGV[3] ms and drops per-item marks it
 * now covers. KEYS: index, watermarks, marks. ARGV: mode, field (`seen` | `read`), item id or ms.
 */
export const notificationMark: FeedScript = {
  name: 'quintetNotificationMark',
  numberOfKeys: 3,
  lua: `
if ARGV[1] == 'item' then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[3])
  if score then redis.call('HSET', KEYS[3], ARGV[3], score) end
  return 1
end
local watermark = tonumber(ARGV[3])
local current = redis.call('HGET', KEYS[2], ARGV[2])
if current and tonumber(current) > watermark then
  watermark = tonumber(current)
else
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
end
local marks = redis.call('HGETALL', KEYS[3])
for i = 1, #marks, 2 do
  if tonumber(marks[i + 1]) <= watermark then redis.call('HDEL', KEYS[3], marks[i]) end
end
return 1
`,
};

/**
 * Compare-and-set of one notification body (erasure rewrites it without the erased actor): replaces the
 * body only if it is still ARGV[2]; an empty ARGV[3] removes the notification and its marks.
 * KEYS: index, items, seen marks, read marks. ARGV: id, expected JSON, new JSON or ''. Returns 1 if applied.
 */
export const notificationReplace: FeedScript = {
  name: 'quintetNotificationReplace',
  numberOfKeys: 4,
  lua: `
local current = redis.call('HGET', KEYS[2], ARGV[1])
if current ~= ARGV[2] then return 0 end
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('HDEL', KEYS[4], ARGV[1])
else
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
end
return 1
`,
};

export const FEED_SCRIPTS: readonly FeedScript[] = [
  feedWriteBatch,
  feedRange,
  inboxRemoveAuthor,
  notificationUpsert,
  notificationCounts,
  notificationMark,
  notificationReplace,
];
