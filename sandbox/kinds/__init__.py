"""The built-in kinds, one module each; BUILTIN is the table of what the API server serves.

A kind module defines KIND: a ResourceType whose Strategy holds the kind's defaults,
validation, immutable fields, printer columns and field labels (see docs/sandbox.md).
"""

from __future__ import annotations

from sandbox.apiserver.registry import ResourceType
from sandbox.kinds import (
    apiservice,
    clusterrole,
    clusterrolebinding,
    configmap,
    controllerrevision,
    cronjob,
    customresourcedefinition,
    daemonset,
    deployment,
    event,
    ingress,
    job,
    namespace,
    networkpolicy,
    node,
    persistentvolumeclaim,
    pod,
    replicaset,
    replicationcontroller,
    role,
    rolebinding,
    secret,
    service,
    serviceaccount,
    statefulset,
)

BUILTIN: tuple[ResourceType, ...] = (
    namespace.KIND,
    node.KIND,
    configmap.KIND,
    secret.KIND,
    service.KIND,
    serviceaccount.KIND,
    persistentvolumeclaim.KIND,
    pod.KIND,
    replicationcontroller.KIND,
    event.KIND,
    event.EVENTS_V1,
    deployment.KIND,
    replicaset.KIND,
    statefulset.KIND,
    daemonset.KIND,
    controllerrevision.KIND,
    job.KIND,
    cronjob.KIND,
    ingress.KIND,
    networkpolicy.KIND,
    role.KIND,
    rolebinding.KIND,
    clusterrole.KIND,
    clusterrolebinding.KIND,
    customresourcedefinition.KIND,
    apiservice.KIND,
)
