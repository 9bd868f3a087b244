-- wrk script: each connection waits one second between polls, as the openai SDK does when the server
-- answers `openai-poll-after-ms: 1000` for a running job.
function delay()
  return 1000
end
