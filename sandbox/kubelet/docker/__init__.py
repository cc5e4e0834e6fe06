"""The docker runtime: each container of a pod a container of a local engine, in the pod's own
network namespace with only loopback."""
