-- wrk script for ThreePay's benchmark (run by bench/bench.py, see bench/README.md).
--
--   wrk ... -s bench/scancode.lua <url> -- scancode <prefix>   POST api/3Pay/AliPay/ScanCode, one new bill each
--   wrk ... -s bench/scancode.lua <url> -- health              GET api/3Pay/health
--   wrk ... -s bench/scancode.lua <url> -- hello               GET bench/hello (bench/fcgi-hello, the floor)
--   wrk ... -s bench/scancode.lua <url> -- floor <prefix>      the ScanCode bodies to bench/scancode-floor
--
-- Every ScanCode request carries a bill number no other request used: <prefix><thread><counter>, at most
-- 20 characters (the contract's limit). Each wrk thread has its own Lua state, so each one counts its own
-- answers; done() gathers the threads' tables and prints one line `BENCH_JSON {...}` for the driver.
-- Bills sent but not answered when wrk stopped are listed by number, so the driver can tell which of them
-- the server still recorded (the reconciliation must account for every bill).

local threads = {}
local thread_count = 0
-- Thread tags: one character each, so the bill number's length stays fixed.
local TAGS = "0123456789abcdefghijklmnopqrstuvwxyz"

function setup(thread)
   thread_count = thread_count + 1
   thread:set("tag", TAGS:sub(thread_count, thread_count))
   table.insert(threads, thread)
end

function init(args)
   mode = args[1] or "scancode"
   prefix = args[2] or "B"
   sent = 0
   answered = 0
   ok = 0
   ok_without_qr = 0
   failed = 0
   unparsed = 0
   codes = {}
   pending = {}
   if mode == "health" then
      fixed_request = wrk.format("GET", "/api/3Pay/health", { ["Accept"] = "application/json" })
   elseif mode == "hello" then
      fixed_request = wrk.format("GET", "/bench/hello", { ["Accept"] = "application/json" })
   elseif mode ~= "scancode" and mode ~= "floor" then
      error("mode must be scancode, floor, health or hello")
   end
   -- "floor": the same ScanCode bodies to bench/scancode-floor.c (the floor line "a ScanCode without rules").
   scan = mode == "scancode" or mode == "floor"
   scan_path = mode == "floor" and "/bench/scancode-floor" or "/api/3Pay/AliPay/ScanCode"
   if #(prefix .. tag) + 12 > 20 then error("bill number prefix too long: " .. prefix) end
   headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
end

function request()
   sent = sent + 1
   if not scan then return fixed_request end
   local billnum = prefix .. tag .. sent
   pending[billnum] = true
   -- Amounts 0.01 … 99.99, different per bill, always two decimals.
   local fen = (sent * 7919) % 9999 + 1
   local body = string.format(
      '{"billnum":"%s","billtype":"1","body":"Bench ticket","paytype":"01","paymentvalue":%d.%02d}',
      billnum, math.floor(fen / 100), fen % 100)
   return wrk.format("POST", scan_path, headers, body)
end

function response(status, headers, body)
   answered = answered + 1
   local code = headers["X-ThreePay-Errcode"] or string.match(body, '"errcode":(%-?%d+)')
   if status == 200 and code == "0" then
      ok = ok + 1
      if scan and not string.find(body, '"codeurl":"http', 1, true) then
         ok_without_qr = ok_without_qr + 1
      end
   else
      failed = failed + 1
      local key = "http" .. status .. "/errcode" .. (code or "?")
      codes[key] = (codes[key] or 0) + 1
   end
   if scan then
      local billnum = string.match(body, '"billnum":"([^"]*)"')
      if billnum and pending[billnum] then
         pending[billnum] = nil
      else
         unparsed = unparsed + 1
      end
   end
end

-- A minimal JSON writer for numbers, strings, arrays (1..n) and string-keyed tables.
local function json(value)
   local kind = type(value)
   if kind == "number" then
      if value ~= value or value == math.huge or value == -math.huge then return "null" end
      if value == math.floor(value) and math.abs(value) < 2^53 then return string.format("%d", value) end
      return string.format("%.6f", value)
   elseif kind == "string" then
      return '"' .. value:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
   elseif kind == "boolean" then
      return tostring(value)
   elseif kind == "table" then
      if #value > 0 or next(value) == nil then
         local parts = {}
         for _, item in ipairs(value) do parts[#parts + 1] = json(item) end
         return "[" .. table.concat(parts, ",") .. "]"
      end
      local keys = {}
      for key in pairs(value) do keys[#keys + 1] = tostring(key) end
      table.sort(keys)
      local parts = {}
      for _, key in ipairs(keys) do parts[#parts + 1] = json(key) .. ":" .. json(value[key]) end
      return "{" .. table.concat(parts, ",") .. "}"
   end
   return "null"
end

function done(summary, latency, requests)
   local totals = { sent = 0, answered = 0, ok = 0, ok_without_qr = 0, failed = 0, unparsed = 0 }
   local codes_all = {}
   local pending_all = {}
   for _, thread in ipairs(threads) do
      for name in pairs(totals) do totals[name] = totals[name] + (thread:get(name) or 0) end
      for key, count in pairs(thread:get("codes") or {}) do codes_all[key] = (codes_all[key] or 0) + count end
      for billnum in pairs(thread:get("pending") or {}) do pending_all[#pending_all + 1] = billnum end
   end
   table.sort(pending_all)
   local percentiles = {}
   for _, p in ipairs({ 50, 75, 90, 99, 99.9 }) do
      percentiles[string.format("p%g", p)] = latency:percentile(p) / 1000.0
   end
   local result = {
      duration_s = summary.duration / 1e6,
      requests = summary.requests,
      bytes = summary.bytes,
      errors = summary.errors,
      latency_ms = {
         mean = latency.mean / 1000.0, stdev = latency.stdev / 1000.0,
         min = latency.min / 1000.0, max = latency.max / 1000.0, percentiles = percentiles,
      },
      counts = totals,
      failures = codes_all,
      pending = pending_all,
   }
   io.write("BENCH_JSON ", json(result), "\n")
end
