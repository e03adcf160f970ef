#!/usr/bin/env python3
"""Offline sanity check for the Tunewave example catalog.

Usage: python3 scripts/check_catalog.py   (needs PyYAML; validates OpenAPI and
GraphQL definitions too when openapi-spec-validator / graphql-core are installed)

Walks the catalog from all.yaml the way a Backstage-compatible loader does and
checks, without a running portal:
  * every YAML file under the folder parses, and every entity file is reachable;
  * envelope rules (names, namespaces, labels, annotations, tags, links);
  * required spec fields per kind;
  * every entity ref resolves to an entity defined here, with the right kind;
  * Group parent/children agree on both sides; owners are Groups;
  * API definitions ($text placeholders resolve inside the tree and parse);
  * TechDocs: every service has a techdocs-ref; every techdocs-ref dir has an
    mkdocs.yml whose nav pages exist, with an index.md and a runbook.md;
  * minimum counts per kind.
Exits non-zero on any problem.
"""
from __future__ import annotations

import glob
import os
import re
import sys
from collections import Counter, defaultdict

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT_FILE = os.path.join(ROOT, "all.yaml")

NAME_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
NS_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
TAG_RE = re.compile(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$")
KIND_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9]*$")
DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
ROOT_KEYS = {"apiVersion", "kind", "metadata", "spec", "relations", "status"}
META_KEYS = {"name", "namespace", "title", "description", "labels", "annotations",
             "tags", "links", "uid", "etag"}
RESERVED = {"apiVersion", "kind", "uid", "etag", "generation", "name", "namespace",
            "labels", "annotations"}
REQUIRED = {
    "Component": ["type", "lifecycle", "owner"],
    "API": ["type", "lifecycle", "owner", "definition"],
    "Resource": ["type", "owner"],
    "System": ["owner"],
    "Domain": ["owner"],
    "Group": ["type", "children"],
    "User": ["memberOf"],
    "Location": [],
}
# field -> (kinds that have it, default target kind or None, allowed target kinds)
REF_FIELDS = {
    "owner": (None, "group", {"group", "user"}),
    "system": ({"Component", "API", "Resource"}, "system", {"system"}),
    "domain": ({"System"}, "domain", {"domain"}),
    "subdomainOf": ({"Domain"}, "domain", {"domain"}),
    "subcomponentOf": ({"Component"}, "component", {"component"}),
    "providesApis": ({"Component"}, "api", {"api"}),
    "consumesApis": ({"Component"}, "api", {"api"}),
    "dependsOn": ({"Component", "Resource"}, None, {"component", "resource"}),
    "dependencyOf": ({"Component", "Resource"}, None, {"component", "resource"}),
    "memberOf": ({"User"}, "group", {"group"}),
    "members": ({"Group"}, "user", {"user"}),
    "parent": ({"Group"}, "group", {"group"}),
    "children": ({"Group"}, "group", {"group"}),
}
MINIMUMS = {"Group": 6, "User": 12, "Domain": 2, "System": 4, "Component": 15,
            "API": 6, "Resource": 4}

errors: list[str] = []


def err(where: str, msg: str) -> None:
    errors.append(f"{where}: {msg}")


def rel(path: str) -> str:
    return os.path.relpath(path, ROOT)


def valid_dns_subdomain(s: str) -> bool:
    return 1 <= len(s) <= 253 and all(DNS_LABEL_RE.match(p) and len(p) <= 63 for p in s.split("."))


def valid_key(k: str) -> bool:
    if "/" in k:
        prefix, _, name = k.partition("/")
        if not valid_dns_subdomain(prefix):
            return False
    else:
        name = k
    return len(name) <= 63 and bool(NAME_RE.match(name))


def parse_ref(ref: str, default_kind: str | None, default_ns: str):
    """Backstage string ref: [<kind>:][<namespace>/]<name>."""
    kind, ns, name = None, None, ref
    colon, slash = ref.find(":"), ref.find("/")
    if colon != -1 and (slash == -1 or colon < slash):
        kind, name = ref[:colon], ref[colon + 1:]
    if "/" in name:
        ns, name = name.split("/", 1)
    if kind == "" or ns == "" or not name:
        raise ValueError(f"empty part in ref {ref!r}")
    kind = (kind or default_kind)
    if not kind:
        raise ValueError(f"ref {ref!r} needs an explicit kind")
    return kind.lower(), (ns or default_ns).lower(), name.lower()


# ---------------------------------------------------------------- loading ---
entities: list[tuple[str, dict]] = []          # (file, entity)
loaded_files: set[str] = set()


def load_location_file(path: str) -> None:
    path = os.path.normpath(path)
    if path in loaded_files:
        return
    loaded_files.add(path)
    try:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
    except Exception as e:  # noqa: BLE001
        err(rel(path), f"YAML parse error: {e}")
        return
    for doc in docs:
        if not isinstance(doc, dict):
            err(rel(path), "document is not a mapping")
            continue
        entities.append((path, doc))
        if doc.get("kind") == "Location":
            spec = doc.get("spec") or {}
            targets = list(spec.get("targets") or [])
            if spec.get("target"):
                targets.append(spec["target"])
            for t in targets:
                if re.match(r"^[a-z]+:", t):
                    err(rel(path), f"target {t!r} is not a relative path")
                    continue
                pattern = os.path.join(os.path.dirname(path), t)
                matches = sorted(glob.glob(pattern))
                if not matches:
                    err(rel(path), f"target {t!r} matches no file")
                for m in matches:
                    if not os.path.realpath(m).startswith(ROOT + os.sep):
                        err(rel(path), f"target {t!r} leaves the catalog folder")
                    load_location_file(m)


load_location_file(ROOT_FILE)

# Every YAML file must parse; every file that holds entities must be reachable.
all_yaml = sorted(glob.glob(os.path.join(ROOT, "**", "*.y*ml"), recursive=True))
for path in all_yaml:
    try:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
    except Exception as e:  # noqa: BLE001
        err(rel(path), f"YAML parse error: {e}")
        continue
    is_entity_file = any(isinstance(d, dict) and "apiVersion" in d and "kind" in d for d in docs)
    if is_entity_file and os.path.normpath(path) not in loaded_files:
        err(rel(path), "holds entities but is not reachable from all.yaml")

# ------------------------------------------------------------- envelope -----
index: dict[tuple[str, str, str], tuple[str, dict]] = {}
for path, e in entities:
    where = f"{rel(path)} [{e.get('kind')}:{(e.get('metadata') or {}).get('name')}]"
    for k in e:
        if k not in ROOT_KEYS:
            err(where, f"unknown root field {k!r}")
    av, kind = e.get("apiVersion"), e.get("kind")
    if av != "backstage.io/v1alpha1":
        err(where, f"apiVersion {av!r} (expected backstage.io/v1alpha1)")
    if not isinstance(kind, str) or not KIND_RE.match(kind) or kind not in REQUIRED:
        err(where, f"unexpected kind {kind!r}")
        continue
    md = e.get("metadata")
    if not isinstance(md, dict):
        err(where, "metadata missing")
        continue
    for k in md:
        if k not in META_KEYS:
            err(where, f"unknown metadata field {k!r}")
    name = md.get("name")
    if not isinstance(name, str) or len(name) > 63 or not NAME_RE.match(name):
        err(where, f"invalid metadata.name {name!r}")
        continue
    ns = md.get("namespace", "default")
    if not NS_RE.match(ns) or len(ns) > 63:
        err(where, f"invalid namespace {ns!r}")
    for field in ("title", "description"):
        if field in md and not isinstance(md[field], str):
            err(where, f"metadata.{field} must be a string")
    for k, v in (md.get("labels") or {}).items():
        if not valid_key(k) or k in RESERVED:
            err(where, f"invalid label key {k!r}")
        if not isinstance(v, str) or (v and (len(v) > 63 or not NAME_RE.match(v))):
            err(where, f"invalid label value {v!r} for {k!r}")
    for k, v in (md.get("annotations") or {}).items():
        if not valid_key(k) or k in RESERVED:
            err(where, f"invalid annotation key {k!r}")
        if not isinstance(v, str):
            err(where, f"annotation {k!r} value must be a string, got {v!r}")
    for t in md.get("tags") or []:
        if not isinstance(t, str) or len(t) > 63 or not TAG_RE.match(t):
            err(where, f"invalid tag {t!r}")
    for link in md.get("links") or []:
        if not isinstance(link, dict) or not isinstance(link.get("url"), str):
            err(where, f"link without url: {link!r}")
            continue
        if not re.match(r"^https?://", link["url"]):
            err(where, f"link url not absolute: {link['url']!r}")
        for lk in link:
            if lk not in {"url", "title", "icon", "type"}:
                err(where, f"unknown link field {lk!r}")
    spec = e.get("spec")
    if kind != "Location" and not isinstance(spec, dict):
        err(where, "spec missing")
        continue
    spec = spec or {}
    for k in spec:
        if k in RESERVED:
            err(where, f"reserved key {k!r} in spec")
    for req in REQUIRED[kind]:
        if req not in spec:
            err(where, f"spec.{req} is required")
        elif req in ("children", "memberOf"):
            if not isinstance(spec[req], list):
                err(where, f"spec.{req} must be a list")
        elif req != "definition" and not (isinstance(spec[req], str) and spec[req]):
            err(where, f"spec.{req} must be a non-empty string")
    key = (kind.lower(), ns.lower(), name.lower())
    if key in index:
        err(where, f"duplicate entity, first defined in {rel(index[key][0])}")
    index[key] = (path, e)

# ---------------------------------------------------------------- refs ------
relations: set[tuple[tuple, str, tuple]] = set()
for path, e in entities:
    kind = e.get("kind")
    if kind == "Location" or kind not in REQUIRED:
        continue
    md, spec = e["metadata"], e.get("spec") or {}
    ns = md.get("namespace", "default")
    me = (kind.lower(), ns, md["name"].lower())
    where = f"{rel(path)} [{kind}:{md['name']}]"
    for field, (kinds, default_kind, allowed) in REF_FIELDS.items():
        if field not in spec or (kinds and kind not in kinds):
            continue
        values = spec[field] if isinstance(spec[field], list) else [spec[field]]
        for v in values:
            if not isinstance(v, str):
                err(where, f"spec.{field}: ref must be a string, got {v!r}")
                continue
            try:
                target = parse_ref(v, default_kind, ns)
            except ValueError as ex:
                err(where, f"spec.{field}: {ex}")
                continue
            if field in ("dependsOn", "dependencyOf") and ":" not in v:
                err(where, f"spec.{field}: {v!r} must name its kind explicitly")
            if target[0] not in allowed:
                err(where, f"spec.{field}: {v!r} points at kind {target[0]}")
            if target not in index:
                err(where, f"spec.{field}: {v!r} does not resolve to any entity")
            if field == "owner" and target[0] != "group":
                err(where, f"owner {v!r} is not a group")
            relations.add((me, field, target))

# Group hierarchy must agree on both sides.
for (kind, ns, name), (path, e) in index.items():
    if kind != "group":
        continue
    spec = e["spec"]
    for child in spec.get("children") or []:
        c = index.get(parse_ref(child, "group", ns))
        parent = c[1]["spec"].get("parent") if c else None
        if not parent or parse_ref(parent, "group", ns) != (kind, ns, name):
            err(rel(path), f"group {name}: child {child} does not name it as parent")
    if spec.get("parent"):
        p = index.get(parse_ref(spec["parent"], "group", ns))
        if p and name not in [x.lower() for x in p[1]["spec"].get("children") or []]:
            err(rel(path), f"group {name}: parent {spec['parent']} does not list it as child")

# Every non-root group has a parent; no user is left without a team.
for (kind, ns, name), (path, e) in index.items():
    if kind == "group" and e["spec"].get("type") != "organization" and not e["spec"].get("parent"):
        err(rel(path), f"group {name} has no parent")
    if kind == "user" and not e["spec"].get("memberOf"):
        err(rel(path), f"user {name} belongs to no group")

# ---------------------------------------------------------- definitions -----
definition_stats = Counter()
try:
    from openapi_spec_validator import validate as validate_openapi  # type: ignore
except Exception:  # noqa: BLE001
    validate_openapi = None
try:
    import graphql  # type: ignore
except Exception:  # noqa: BLE001
    graphql = None

for (kind, ns, name), (path, e) in index.items():
    if kind != "api":
        continue
    where = f"{rel(path)} [API:{name}]"
    d, api_type = e["spec"].get("definition"), e["spec"].get("type")
    if isinstance(d, dict):
        if list(d) != ["$text"]:
            err(where, f"unsupported definition placeholder {list(d)}")
            continue
        target = os.path.normpath(os.path.join(os.path.dirname(path), d["$text"]))
        if not target.startswith(ROOT + os.sep) or not os.path.isfile(target):
            err(where, f"$text target {d['$text']!r} missing or outside the catalog")
            continue
        with open(target, encoding="utf-8") as f:
            text = f.read()
        definition_stats["$text"] += 1
    elif isinstance(d, str) and d.strip():
        text = d
        definition_stats["inline"] += 1
    else:
        err(where, "definition must be a non-empty string or a $text placeholder")
        continue
    lines = text.count("\n") + 1
    if api_type in ("openapi", "asyncapi"):
        try:
            doc = yaml.safe_load(text)
        except Exception as ex:  # noqa: BLE001
            err(where, f"definition does not parse: {ex}")
            continue
        if api_type == "openapi":
            if not str(doc.get("openapi", "")).startswith("3."):
                err(where, "OpenAPI definition is not OpenAPI 3")
            if not doc.get("paths"):
                err(where, "OpenAPI definition has no paths")
            if validate_openapi:
                try:
                    validate_openapi(doc)
                except Exception as ex:  # noqa: BLE001
                    err(where, f"OpenAPI validation: {str(ex).splitlines()[0]}")
            if not 60 <= lines <= 260:
                err(where, f"OpenAPI definition has {lines} lines")
        else:
            version = str(doc.get("asyncapi", ""))
            if version not in ("2.6.0", "3.0.0"):
                err(where, f"unexpected AsyncAPI version {version!r}")
            if not doc.get("channels"):
                err(where, "AsyncAPI definition has no channels")
            if version.startswith("3") and not doc.get("operations"):
                err(where, "AsyncAPI 3 definition has no operations")
            # every local $ref must resolve
            def walk(node):
                if isinstance(node, dict):
                    for k, v in node.items():
                        if k == "$ref" and isinstance(v, str) and v.startswith("#/"):
                            cur = doc
                            for part in v[2:].split("/"):
                                cur = cur.get(part) if isinstance(cur, dict) else None
                            if cur is None:
                                err(where, f"dangling $ref {v}")
                        else:
                            walk(v)
                elif isinstance(node, list):
                    for v in node:
                        walk(v)
            walk(doc)
    elif api_type == "graphql" and graphql is not None:
        try:
            graphql.build_schema(text)
        except Exception as ex:  # noqa: BLE001
            err(where, f"GraphQL schema invalid: {ex}")
    elif api_type == "grpc":
        if not re.search(r'^syntax = "proto3";', text, re.M) or "service " not in text:
            err(where, "gRPC definition is not a proto3 file with a service")
        if text.count("{") != text.count("}"):
            err(where, "unbalanced braces in proto")
    definition_stats[api_type] += 1

# ------------------------------------------------------------- techdocs -----
def nav_pages(items) -> list[str]:
    """Every page a (possibly nested) mkdocs nav names; external links left out."""
    pages: list[str] = []
    for item in items or []:
        values = list(item.values()) if isinstance(item, dict) else [item]
        for value in values:
            if isinstance(value, list):
                pages += nav_pages(value)
            elif isinstance(value, str) and not re.match(r"^[a-z][a-z0-9+.-]*://", value):
                pages.append(value)
    return pages


techdocs = []
for (kind, ns, name), (path, e) in index.items():
    ref = (e["metadata"].get("annotations") or {}).get("backstage.io/techdocs-ref")
    if not ref:
        if kind == "component" and e["spec"].get("type") == "service":
            err(rel(path), f"service {name} has no backstage.io/techdocs-ref")
        continue
    if not ref.startswith("dir:"):
        continue
    d = os.path.normpath(os.path.join(os.path.dirname(path), ref[4:]))
    mk = os.path.join(d, "mkdocs.yml")
    if not os.path.isfile(mk):
        err(rel(path), f"techdocs-ref {ref} but no mkdocs.yml in {rel(d)}")
        continue
    with open(mk, encoding="utf-8") as f:
        conf = yaml.safe_load(f)
    for key in ("site_name", "site_description", "nav"):
        if not conf.get(key):
            err(rel(mk), f"{key} missing")
    # docs_dir defaults to docs/; `.` (the mkdocs.yml folder itself) is allowed.
    docs = os.path.normpath(os.path.join(d, conf.get("docs_dir") or "docs"))
    if docs != d and not docs.startswith(d + os.sep):
        err(rel(mk), f"docs_dir {conf.get('docs_dir')!r} leaves the site folder")
        continue
    pages = nav_pages(conf.get("nav"))
    for page in pages:
        if not os.path.isfile(os.path.join(docs, page)):
            err(rel(mk), f"nav page {page} missing")
    if not os.path.isfile(os.path.join(docs, "index.md")):
        err(rel(mk), "index.md missing in docs_dir")
    # listening-insights has no runbook on purpose: a known scorecard gap.
    if name != "listening-insights" and not any(
        os.path.basename(p) == "runbook.md" for p in pages
    ):
        err(rel(mk), "the nav lists no runbook.md")
    techdocs.append(name)

# Components live in components/<name>/catalog-info.yaml.
for (kind, ns, name), (path, e) in index.items():
    if kind == "component":
        expected = os.path.join(ROOT, "components", e["metadata"]["name"], "catalog-info.yaml")
        if os.path.normpath(path) != expected:
            err(rel(path), f"component {name} should live in {rel(expected)}")

# --------------------------------------------------------------- counts -----
counts = Counter(e.get("kind") for _, e in entities)
for kind, minimum in MINIMUMS.items():
    if counts[kind] < minimum:
        err("counts", f"{kind}: {counts[kind]} < {minimum}")
comp_types = Counter(e["spec"]["type"] for (k, _, _), (_, e) in index.items() if k == "component")
lifecycles = Counter(e["spec"]["lifecycle"] for (k, _, _), (_, e) in index.items() if k == "component")
for t in ("service", "website", "library"):
    if not comp_types[t]:
        err("counts", f"no component of type {t}")
for lc in ("production", "experimental", "deprecated"):
    if not lifecycles[lc]:
        err("counts", f"no component with lifecycle {lc}")
if definition_stats["openapi"] < 3:
    err("counts", "fewer than 3 OpenAPI definitions")
if definition_stats["asyncapi"] < 1 or definition_stats["graphql"] < 1:
    err("counts", "need at least one AsyncAPI and one GraphQL definition")
if definition_stats["$text"] < 2:
    err("counts", "fewer than 2 definitions referenced with $text")
if len(techdocs) < 3:
    err("counts", f"only {len(techdocs)} components with TechDocs")

# --------------------------------------------------------------- report -----
print("Entities per kind:")
for kind in ("Location", "Group", "User", "Domain", "System", "Component", "API", "Resource"):
    print(f"  {kind:<10} {counts[kind]}")
print("Component types:", dict(comp_types))
print("Component lifecycles:", dict(lifecycles))
print("API definitions:", dict(definition_stats))
print("Relations from spec fields:", len(relations))
print("TechDocs components:", ", ".join(sorted(techdocs)))
print("Files reached from all.yaml:", len(loaded_files))
if errors:
    print(f"\n{len(errors)} problem(s):")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("\nOK: no problems found.")
