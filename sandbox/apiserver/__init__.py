"""The API server: HTTP, storage, watch, patches, apply, tables, OpenAPI, in-server controllers."""
