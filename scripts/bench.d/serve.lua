-- wrk's requests for `scripts/bench serve`:
--   wrk ... -s serve.lua URL -- ROUTE TOKEN OBJECTS [FIRST]
-- ROUTE is `cone` (POST /api/cone/ at a random position over ZTF's sky, Dec -30 to +90,
-- radius 5") or `object` (POST /api/object/ lite, a random one of the OBJECTS that
-- bench_objects wrote, or of the FIRST of them: those it gave lightcurves), or `page` (GET the
-- object's web page /objects/ID/, HTML with its whole lightcurve), or `cutout` (GET one of
-- the object's three cutouts drawn as PNG: bench_objects files object i's as source i). Every
-- answer not
-- 2xx, or 2xx with an empty body, is counted; `done` prints one line:
--   result REQUESTS SECONDS P50_MS P99_MS BAD SOCKET_ERRORS

local threads = {}

function setup(thread)
    table.insert(threads, thread)
    thread:set("id", #threads)
end

-- Object i of n, named as bench_objects names it (tools/lasair-serve/examples/bench_objects.rs).
local function object_id(i, n)
    local per_year = math.ceil(n / 8)
    local year = 18 + math.floor(i / per_year)
    local j = i % per_year
    local letters = {}
    for k = 7, 1, -1 do
        letters[k] = string.char(97 + j % 26)
        j = math.floor(j / 26)
    end
    return "ZTF" .. year .. table.concat(letters)
end

local route, headers, objects, first

function init(args)
    route, objects = args[1], tonumber(args[3])
    first = tonumber(args[4] or args[3])
    headers = {
        ["Authorization"] = "Token " .. args[2],
        ["Content-Type"] = "application/x-www-form-urlencoded",
    }
    math.randomseed(os.time() * 1000 + id)
    bad = 0
end

function request()
    if route == "cone" then
        local ra = 360 * math.random()
        local dec = math.deg(math.asin(1.5 * math.random() - 0.5))
        local body = string.format("ra=%.6f&dec=%.6f&radius=5&requestType=all", ra, dec)
        return wrk.format("POST", "/api/cone/", headers, body)
    end
    local i = math.random(0, first - 1)
    local id = object_id(i, objects)
    if route == "page" then
        return wrk.format("GET", "/objects/" .. id .. "/")
    end
    if route == "cutout" then
        local kinds = { "Science", "Template", "Difference" }
        return wrk.format("GET", "/objects/" .. id .. "/cutouts/" .. i .. "/" .. kinds[math.random(1, 3)] .. "/")
    end
    return wrk.format("POST", "/api/object/", headers, "objectId=" .. id .. "&lite=True")
end

function response(status, _, body)
    if status < 200 or status > 299 or body == nil or #body == 0 then
        bad = bad + 1
    end
end

function done(summary, latency, _)
    local total = 0
    for _, thread in ipairs(threads) do
        total = total + thread:get("bad")
    end
    local e = summary.errors
    io.write(string.format("result %d %.3f %.3f %.3f %d %d\n", summary.requests,
        summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
        total, e.connect + e.read + e.write + e.timeout))
end
