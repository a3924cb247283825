"""JSON sources of the inventory (SRM 12-2..4): ``terraform show -json`` state, an AWS Config
resource-inventory snapshot, ``kubectl get -o json`` lists, NetBox REST API exports.

A bad document is refused with every problem found, each naming its JSON path
(``$.values.root_module.resources[2].type``). Relations to something the file does not hold
(a Terraform data source, a ReplicaSet not exported) are dropped.
"""

from __future__ import annotations

import json
from typing import Any

from mamori.engines.cmdb.snapshot import CmdbFileError, Item, Problem, Relation, Snapshot

__all__ = [
    "TERRAFORM_KINDS",
    "load_json",
    "parse_aws_config",
    "parse_kubernetes",
    "parse_netbox",
    "parse_terraform",
]

#: Terraform resource types by the kind of item they are; any other type is a cloud resource.
TERRAFORM_KINDS = {
    "aws_instance": "virtual_machine",
    "google_compute_instance": "virtual_machine",
    "azurerm_virtual_machine": "virtual_machine",
    "azurerm_linux_virtual_machine": "virtual_machine",
    "azurerm_windows_virtual_machine": "virtual_machine",
    "aws_db_instance": "cloud_resource",
    "aws_vpc": "network_link",
    "aws_subnet": "network_link",
    "aws_vpn_connection": "network_link",
    "aws_dx_connection": "network_link",
    "aws_lb": "network_device",
    "aws_alb": "network_device",
    "aws_nat_gateway": "network_device",
    "aws_internet_gateway": "network_device",
    "aws_ecs_service": "container",
    "aws_eks_cluster": "container",
    "kubernetes_deployment": "container",
    "aws_organizations_account": "cloud_account",
}


def load_json(data: bytes) -> Any:
    """Return the parsed document, or refuse the file naming the line of the syntax error."""
    try:
        return json.loads(data)
    except UnicodeDecodeError as exc:
        raise CmdbFileError([Problem("file", f"expected UTF-8, got {exc.reason}")]) from None
    except json.JSONDecodeError as exc:
        raise CmdbFileError(
            [Problem(f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}")]
        ) from None


def _need(value: Any, path: str, kind: type, problems: list[Problem]) -> Any:
    if not isinstance(value, kind):
        problems.append(Problem(path, f"expected {kind.__name__}, got {type(value).__name__}"))
        return None
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _tags(values: dict[str, Any]) -> dict[str, Any]:
    tags = values.get("tags")
    return tags if isinstance(tags, dict) else {}


def _finish(snapshot: Snapshot, problems: list[Problem]) -> Snapshot:
    if problems:
        raise CmdbFileError(problems)
    seen: set[str] = set()
    unique = []
    for item in snapshot.items:
        if item.external_id not in seen:
            seen.add(item.external_id)
            unique.append(item)
    snapshot.items = unique
    snapshot.keep_known_relations()
    return snapshot


# --- Terraform -------------------------------------------------------------------------------


def _terraform_module(module: Any, path: str, snapshot: Snapshot, problems: list[Problem]) -> None:
    if _need(module, path, dict, problems) is None:
        return
    for i, resource in enumerate(module.get("resources") or []):
        where = f"{path}.resources[{i}]"
        if _need(resource, where, dict, problems) is None:
            continue
        if resource.get("mode", "managed") != "managed":
            continue  # data sources are read, not owned
        address, rtype = resource.get("address"), resource.get("type")
        if not isinstance(address, str) or not address:
            problems.append(Problem(f"{where}.address", "expected the resource's address"))
            continue
        if not isinstance(rtype, str) or not rtype:
            problems.append(Problem(f"{where}.type", "expected the resource's type"))
            continue
        values = resource.get("values") or {}
        if _need(values, f"{where}.values", dict, problems) is None:
            continue
        tags = _tags(values)
        attributes = {"type": rtype, "provider": _text(resource.get("provider_name"))}
        for key in ("id", "arn", "instance_type", "engine", "engine_version", "instance_class"):
            if values.get(key) not in (None, ""):
                attributes[key] = _text(values[key])
        snapshot.items.append(
            Item(
                TERRAFORM_KINDS.get(rtype, "cloud_resource"),
                address,
                _text(tags.get("Name") or values.get("name") or values.get("identifier"))
                or address,
                attributes,
                _text(tags.get("mamori:system") or tags.get("System")),
                _text(tags.get("mamori:owner") or tags.get("Owner")),
                _text(values.get("availability_zone") or values.get("region")),
                _text(values.get("engine_version") or values.get("ami")),
            )
        )
        depends = resource.get("depends_on") or []
        if _need(depends, f"{where}.depends_on", list, problems) is None:
            continue
        for target in depends:
            snapshot.relations.append(Relation(address, _text(target), "depends_on"))
    for i, child in enumerate(module.get("child_modules") or []):
        _terraform_module(child, f"{path}.child_modules[{i}]", snapshot, problems)


def parse_terraform(data: bytes, source: str = "terraform") -> Snapshot:
    """Return the snapshot of ``terraform show -json`` output: the managed resources of the
    root module and its child modules, recursively; ``depends_on`` becomes relations."""
    document = load_json(data)
    problems: list[Problem] = []
    snapshot = Snapshot(source)
    if _need(document, "$", dict, problems) is None:
        raise CmdbFileError(problems)
    values = document.get("values")
    if values is None:
        return snapshot  # an empty state: nothing deployed
    if _need(values, "$.values", dict, problems) is None:
        raise CmdbFileError(problems)
    root = values.get("root_module")
    if root is None:
        problems.append(Problem("$.values.root_module", "expected the root module"))
        raise CmdbFileError(problems)
    _terraform_module(root, "$.values.root_module", snapshot, problems)
    return _finish(snapshot, problems)


# --- AWS Config ------------------------------------------------------------------------------

_AWS_KINDS = {
    "AWS::EC2::Instance": "virtual_machine",
    "AWS::RDS::DBInstance": "cloud_resource",
    "AWS::EC2::VPC": "network_link",
    "AWS::EC2::Subnet": "network_link",
    "AWS::EC2::VPNConnection": "network_link",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "network_device",
    "AWS::EC2::NatGateway": "network_device",
    "AWS::EC2::InternetGateway": "network_device",
    "AWS::ECS::Service": "container",
    "AWS::EKS::Cluster": "container",
    "AWS::Lambda::Function": "service",
}
_GONE_STATUSES = {"ResourceDeleted", "ResourceNotRecorded", "ResourceDeletedNotRecorded"}


def _aws_relation(name: str) -> tuple[str, bool]:
    """Return the relation kind of an AWS Config relationship name and whether it reads
    backwards (``Contains X``: X is part of this)."""
    lowered = name.lower()
    if lowered.startswith("contains"):
        return "part_of", True
    if "contained in" in lowered:
        return "part_of", False
    if "attached to" in lowered or "associated with" in lowered:
        return "connects_to", False
    return "depends_on", False


def parse_aws_config(data: bytes, source: str = "aws_config") -> Snapshot:
    """Return the snapshot of an AWS Config snapshot (``configurationItems``): each recorded
    resource an item, its ``relationships`` relations; deleted resources are left out."""
    document = load_json(data)
    problems: list[Problem] = []
    snapshot = Snapshot(source)
    if _need(document, "$", dict, problems) is None:
        raise CmdbFileError(problems)
    items = document.get("configurationItems")
    if _need(items, "$.configurationItems", list, problems) is None:
        raise CmdbFileError(problems)
    for i, entry in enumerate(items):
        where = f"$.configurationItems[{i}]"
        if _need(entry, where, dict, problems) is None:
            continue
        rtype, rid = entry.get("resourceType"), entry.get("resourceId")
        if not isinstance(rtype, str) or not rtype:
            problems.append(Problem(f"{where}.resourceType", "expected the resource type"))
            continue
        if not isinstance(rid, str) or not rid:
            problems.append(Problem(f"{where}.resourceId", "expected the resource id"))
            continue
        if entry.get("configurationItemStatus") in _GONE_STATUSES:
            continue
        tags = _tags(entry)
        attributes = {"type": rtype}
        for key in ("arn", "awsAccountId", "resourceCreationTime"):
            if entry.get(key):
                attributes[key] = _text(entry[key])
        snapshot.items.append(
            Item(
                _AWS_KINDS.get(rtype, "cloud_resource"),
                rid,
                _text(tags.get("Name") or entry.get("resourceName")) or rid,
                attributes,
                _text(tags.get("mamori:system") or tags.get("System")),
                _text(tags.get("mamori:owner") or tags.get("Owner")),
                _text(entry.get("availabilityZone") or entry.get("awsRegion")),
            )
        )
        relationships = entry.get("relationships") or []
        if _need(relationships, f"{where}.relationships", list, problems) is None:
            continue
        for j, link in enumerate(relationships):
            here = f"{where}.relationships[{j}]"
            if _need(link, here, dict, problems) is None:
                continue
            target = link.get("resourceId")
            if not isinstance(target, str) or not target:
                problems.append(Problem(f"{here}.resourceId", "expected the related resource id"))
                continue
            kind, backwards = _aws_relation(_text(link.get("relationshipName")))
            pair = (target, rid) if backwards else (rid, target)
            snapshot.relations.append(Relation(pair[0], pair[1], kind))
    return _finish(snapshot, problems)


# --- Kubernetes ------------------------------------------------------------------------------

_K8S_KINDS = {
    "Node": "server",
    "Deployment": "container",
    "StatefulSet": "container",
    "DaemonSet": "container",
    "ReplicaSet": "container",
    "Job": "container",
    "CronJob": "container",
    "Pod": "container",
    "Service": "service",
}


def _k8s_id(kind: str, namespace: str, name: str) -> str:
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def parse_kubernetes(data: bytes, source: str = "kubernetes") -> Snapshot:
    """Return the snapshot of a ``kubectl get -o json`` List: nodes, workloads, pods and
    services; an owner reference becomes *part of*, a pod's node *runs on*, a service's
    selector matching a workload's pod labels *connects to*. Other kinds are skipped."""
    document = load_json(data)
    problems: list[Problem] = []
    snapshot = Snapshot(source)
    if _need(document, "$", dict, problems) is None:
        raise CmdbFileError(problems)
    objects = document.get("items") if str(document.get("kind", "")).endswith("List") else None
    if objects is None:
        objects = [document]  # a single object
    if _need(objects, "$.items", list, problems) is None:
        raise CmdbFileError(problems)
    selectors: list[tuple[str, str, dict[str, Any]]] = []
    labelled: list[tuple[str, str, dict[str, Any]]] = []
    for i, obj in enumerate(objects):
        where = f"$.items[{i}]"
        if _need(obj, where, dict, problems) is None:
            continue
        kind = obj.get("kind")
        if not isinstance(kind, str) or not kind:
            problems.append(Problem(f"{where}.kind", "expected the object's kind"))
            continue
        if kind not in _K8S_KINDS:
            continue
        meta = obj.get("metadata")
        if _need(meta, f"{where}.metadata", dict, problems) is None:
            continue
        name = meta.get("name")
        if not isinstance(name, str) or not name:
            problems.append(Problem(f"{where}.metadata.name", "expected the object's name"))
            continue
        namespace = _text(meta.get("namespace"))
        external_id = _k8s_id(kind, namespace, name)
        labels = _dict(meta.get("labels"))
        spec = _dict(obj.get("spec"))
        status = _dict(obj.get("status"))
        attributes: dict[str, Any] = {"kind": kind}
        if namespace:
            attributes["namespace"] = namespace
        version = ""
        if kind == "Node":
            info = _dict(status.get("nodeInfo"))
            version = _text(info.get("kubeletVersion"))
        else:
            template = _dict(spec.get("template"))
            pod_spec = _dict(template.get("spec")) or spec
            images = [
                _text(c.get("image"))
                for c in pod_spec.get("containers") or []
                if isinstance(c, dict)
            ]
            if images:
                attributes["images"] = images
                version = images[0].rpartition(":")[2] if ":" in images[0] else ""
        snapshot.items.append(
            Item(
                _K8S_KINDS[kind],
                external_id,
                name,
                attributes,
                _text(labels.get("mamori.io/system")),
                _text(labels.get("mamori.io/owner")),
                _text(labels.get("topology.kubernetes.io/zone") or namespace),
                version,
            )
        )
        for j, owner in enumerate(meta.get("ownerReferences") or []):
            if not isinstance(owner, dict) or not owner.get("kind") or not owner.get("name"):
                problems.append(
                    Problem(f"{where}.metadata.ownerReferences[{j}]", "expected kind and name")
                )
                continue
            target = _k8s_id(_text(owner["kind"]), namespace, _text(owner["name"]))
            snapshot.relations.append(Relation(external_id, target, "part_of"))
        if kind == "Pod" and spec.get("nodeName"):
            snapshot.relations.append(
                Relation(external_id, _k8s_id("Node", "", _text(spec["nodeName"])), "runs_on")
            )
        if kind == "Service" and isinstance(spec.get("selector"), dict) and spec["selector"]:
            selectors.append((external_id, namespace, spec["selector"]))
        elif kind in ("Deployment", "StatefulSet", "DaemonSet"):
            template = _dict(spec.get("template"))
            tmeta = _dict(template.get("metadata"))
            tlabels = _dict(tmeta.get("labels"))
            labelled.append((external_id, namespace, tlabels))
    for service, namespace, selector in selectors:
        for workload, wnamespace, labels in labelled:
            if wnamespace == namespace and all(labels.get(k) == v for k, v in selector.items()):
                snapshot.relations.append(Relation(service, workload, "connects_to"))
    return _finish(snapshot, problems)


# --- NetBox ----------------------------------------------------------------------------------

_NETBOX_ENDPOINTS = {
    "dcim/devices": "dcim.device",
    "virtualization/virtual-machines": "virtualization.virtualmachine",
    "ipam/services": "ipam.service",
    "dcim/cables": "dcim.cable",
}
_NETWORK_ROLES = ("switch", "router", "firewall", "load-balancer", "loadbalancer", "network")


def _endpoint_of(url: Any) -> str:
    text = _text(url)
    for endpoint in _NETBOX_ENDPOINTS:
        if f"/api/{endpoint}/" in text:
            return endpoint
    return ""


def _ref(value: Any, model: str) -> str:
    if isinstance(value, dict) and value.get("id") is not None:
        return f"{model}:{value['id']}"
    return ""


def _name(value: Any) -> str:
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("slug") or value.get("display"))
    return _text(value)


def _netbox_pages(document: Any, problems: list[Problem]) -> list[tuple[str, str, Any]]:
    """Return (path, endpoint hint, result) of every result of the export."""
    found: list[tuple[str, str, Any]] = []

    def page(value: Any, path: str, hint: str) -> None:
        if isinstance(value, list):
            for i, part in enumerate(value):
                page(part, f"{path}[{i}]", hint)
        elif isinstance(value, dict) and "results" in value:
            results = _need(value["results"], f"{path}.results", list, problems) or []
            for i, result in enumerate(results):
                found.append((f"{path}.results[{i}]", hint, result))
        elif isinstance(value, dict) and path == "$":
            for key, part in value.items():
                page(part, f"$[{json.dumps(key)}]", key.strip("/").removeprefix("api/"))
        else:
            problems.append(Problem(path, "expected a page of results"))

    page(document, "$", "")
    return found


def parse_netbox(data: bytes, source: str = "netbox") -> Snapshot:
    """Return the snapshot of a NetBox REST API export: pages (``results``) of devices,
    virtual machines, services and cables — one page, a list of pages, or an object by
    endpoint (``{"dcim/devices": {...}, ...}``)."""
    document = load_json(data)
    problems: list[Problem] = []
    snapshot = Snapshot(source)
    for where, hint, result in _netbox_pages(document, problems):
        if _need(result, where, dict, problems) is None:
            continue
        endpoint = _endpoint_of(result.get("url")) or hint
        model = _NETBOX_ENDPOINTS.get(endpoint)
        if model is None:
            problems.append(Problem(f"{where}.url", f"unknown NetBox object {endpoint or '?'}"))
            continue
        if result.get("id") is None:
            problems.append(Problem(f"{where}.id", "expected the object's id"))
            continue
        external_id = f"{model}:{result['id']}"
        status = (
            _name(result.get("status"))
            if not isinstance(result.get("status"), dict)
            else (_text(result["status"].get("value")))
        )
        attributes: dict[str, Any] = {"netbox": model}
        if status:
            attributes["status"] = status
        tenant = _name(result.get("tenant"))
        location = _name(result.get("site")) or _name(result.get("location"))
        custom = _dict(result.get("custom_fields"))
        system, owner = _text(custom.get("mamori_system")), _text(custom.get("mamori_owner"))
        if model == "dcim.device":
            role = _name(result.get("role") or result.get("device_role")).lower()
            dtype = _dict(result.get("device_type"))
            attributes["role"] = role
            attributes["model"] = _text(dtype.get("model"))
            if result.get("serial"):
                attributes["serial"] = _text(result["serial"])
            kind = (
                "network_device"
                if any(word in role for word in _NETWORK_ROLES)
                else ("server" if "server" in role else "hardware")
            )
            name = _text(result.get("name")) or _text(result.get("display")) or external_id
            snapshot.items.append(
                Item(kind, external_id, name, attributes, system, owner or tenant, location)
            )
        elif model == "virtualization.virtualmachine":
            if result.get("cluster"):
                attributes["cluster"] = _name(result["cluster"])
            name = _text(result.get("name")) or external_id
            snapshot.items.append(
                Item(
                    "virtual_machine",
                    external_id,
                    name,
                    attributes,
                    system,
                    owner or tenant,
                    location,
                    _name(result.get("platform")),
                )
            )
            host = _ref(result.get("device"), "dcim.device")
            if host:
                snapshot.relations.append(Relation(external_id, host, "runs_on"))
        elif model == "ipam.service":
            ports = result.get("ports") or []
            attributes["protocol"] = _name(result.get("protocol"))
            attributes["ports"] = [str(p) for p in ports] if isinstance(ports, list) else []
            name = _text(result.get("name")) or external_id
            snapshot.items.append(
                Item("service", external_id, name, attributes, system, owner, location)
            )
            parent = _ref(result.get("device"), "dcim.device") or _ref(
                result.get("virtual_machine"), "virtualization.virtualmachine"
            )
            if parent:
                snapshot.relations.append(Relation(external_id, parent, "runs_on"))
        else:  # a cable: a network link between the devices at its two ends
            ends = []
            for side in ("a_terminations", "b_terminations"):
                terminations = result.get(side) or []
                device = ""
                for t in terminations if isinstance(terminations, list) else []:
                    obj = t.get("object") if isinstance(t, dict) else None
                    if isinstance(obj, dict):
                        device = _ref(obj.get("device"), "dcim.device")
                        if device:
                            break
                ends.append(device)
            if result.get("type"):
                attributes["type"] = _text(result["type"])
            name = _text(result.get("label")) or _text(result.get("display")) or external_id
            snapshot.items.append(
                Item("network_link", external_id, name, attributes, system, owner, location)
            )
            for end in ends:
                if end:
                    snapshot.relations.append(Relation(end, external_id, "connects_to"))
            if all(ends):
                snapshot.relations.append(Relation(ends[0], ends[1], "connects_to"))
    return _finish(snapshot, problems)
