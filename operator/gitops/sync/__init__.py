"""The GitSync controller: pull a git repository, build a kustomize overlay, apply it safely."""

GROUP = "gitops.myfoodbudget.dev"
VERSION = "v1alpha1"
PLURAL = "gitsyncs"
KIND = "GitSync"
FIELD_MANAGER = "gitops-sync"
OWNER_LABEL = f"{GROUP}/gitsync"
REQUEST_ANNOTATION = f"{GROUP}/sync-requested"
