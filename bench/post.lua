-- bench/post.lua: the wrk script of measurement 2 (bench/run.sh).
--
-- Each request is a multipart/form-data POST (RFC 7578) of the same 1 KiB
-- value as a Bytes variable, shaped as clients send it (curl -F data=@file
-- -F valueType=Bytes): a "data" part with a filename and a binary type, then
-- a "valueType" text part.  The requests go round a set of tasks, so that
-- two workers rarely update the same variable at the same moment.
--
-- Arguments (after "--" on the wrk command line):
--   1  the file with the value
--   2  how many tasks to go round (N)
--   3  the request path, with %d where the task number (1 .. N) goes
--   4  how many wrk threads there are (spreads their starting points)

local requests = {}
local next_index = 0
local thread_count = 0

function setup(thread)
	thread:set("thread_index", thread_count)
	thread_count = thread_count + 1
end

local function read_value(path)
	local f = assert(io.open(path, "rb"))
	local value = f:read("*a")
	f:close()
	return value
end

local function multipart_body(boundary, value)
	return table.concat({
		"--", boundary, "\r\n",
		"Content-Disposition: form-data; name=\"data\"; filename=\"value.bin\"\r\n",
		"Content-Type: application/octet-stream\r\n",
		"\r\n",
		value, "\r\n",
		"--", boundary, "\r\n",
		"Content-Disposition: form-data; name=\"valueType\"\r\n",
		"\r\n",
		"Bytes\r\n",
		"--", boundary, "--\r\n",
	})
end

function init(args)
	local value = read_value(args[1])
	local n = assert(tonumber(args[2]), "task count")
	local template = assert(args[3], "path template")
	local threads = tonumber(args[4]) or 1
	local boundary = "vardata-bench-3f9c2e71a4d05b68"
	local headers = { ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }
	local body = multipart_body(boundary, value)

	-- Every request is formatted once here; request() only picks the next.
	for i = 1, n do
		requests[i] = wrk.format("POST", string.format(template, i), headers, body)
	end
	next_index = ((thread_index or 0) * math.floor(n / threads)) % n
end

function request()
	next_index = next_index % #requests + 1
	return requests[next_index]
end
