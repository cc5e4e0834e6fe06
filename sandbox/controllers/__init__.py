"""The controllers (scheduler, PVC binder, Deployment, ReplicaSet, Job, NodePorts): API clients."""
