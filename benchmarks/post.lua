-- wrk script: every request is a POST of the same 1 KiB JSON body, so each
-- server in benchmarks/bench_mock_container.py reads and echoes the same bytes.
-- Extra headers (X-Mock-Correlation) come from wrk's -H.
local prefix, suffix = '{"inputs":"', '"}'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = prefix .. string.rep("x", 1024 - #prefix - #suffix) .. suffix

-- the exact-numbers line of report.lua, found next to this file
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
