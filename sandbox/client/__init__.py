"""How the controllers and the kubelet reach the API server: over HTTP, as any client does."""
