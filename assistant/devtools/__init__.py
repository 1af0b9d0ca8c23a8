"""Devtools: evaluation, judging, benchmarks, the LangChain baseline and the load test.

Built on the package's faces (`assistant`, `assistant.ingest`, `assistant.storage`,
`assistant.config`, `assistant.records`, `assistant.text`), not on its inner modules."""
