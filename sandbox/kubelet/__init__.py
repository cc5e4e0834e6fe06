"""The kubelet: runs the pods bound to the sandbox node through a container runtime."""
