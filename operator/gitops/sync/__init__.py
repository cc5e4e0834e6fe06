"""The GitSync controller: pull a git repository, build a kustomize overlay, apply it safely."""
