"""The process kubelet: runs the pods bound to the sandbox node as local processes."""
