#!/usr/bin/env python3
"""Stands in for `rpk` in tests: answers from a JSON state file (shared with tests/fake_admin.py), checks the
login as the cluster would, and records every call it gets.

The admin API asks for rpk's login (RPK_USER, RPK_PASS) once admin_api_require_auth is on, the Kafka API
(topics, ACLs) once enable_sasl is; a refused login is rpk's 401 or SASL error, with exit 1.
"""

import json
import os
import sys
from pathlib import Path

state_file = Path(os.environ["FAKE_RPK_STATE"])
state = json.loads(state_file.read_text())


def save() -> None:
    """Replaces the state whole, as tests/fake_admin.py does: its readers never see a half-written file."""
    scratch = state_file.with_name(f"{state_file.name}.{os.getpid()}")
    scratch.write_text(json.dumps(state))
    scratch.replace(state_file)


args = sys.argv[1:]
with open(os.environ["FAKE_RPK_LOG"], "a") as log:
    log.write(json.dumps(args) + "\n")

user = os.environ.get("RPK_USER")
logged_in = user is not None and state.get("users", {}).get(user) == os.environ.get("RPK_PASS")
topics = state.get("topics", {})
if args[:2] == ["cluster", "config"]:
    if state.get("admin_api_require_auth") and not logged_in:
        sys.exit("unable to reach the admin API: request failed: Unauthorized (401)")
elif args[0] in ("topic", "security") and state.get("enable_sasl") and not logged_in:
    sys.exit("unable to request metadata: SASL_AUTHENTICATION_FAILED: Authentication failed")

if args[:2] == ["cluster", "health"]:
    print("CLUSTER HEALTH OVERVIEW\n=======================")
    print(f"Healthy:                          {str(state.get('healthy', True)).lower()}")
    print("Unhealthy reasons:                []")
elif args[:2] == ["topic", "list"]:
    print("NAME  PARTITIONS  REPLICAS")
    internal = state.get("internal_topics", {}) if {"-i", "--internal"} & set(args) else {}
    for name, topic in {**internal, **topics}.items():
        print(f"{name}  {topic['partitions']}  {topic['replicas']}")
elif args[:2] == ["topic", "describe"]:
    topic = topics[args[2]]
    if "--print-summary" in args:
        print(f"NAME        {args[2]}\nPARTITIONS  {topic['partitions']}\nREPLICAS    {topic['replicas']}")
    if "--print-configs" in args:
        print("KEY                 VALUE       SOURCE")
        for key, value in topic.get("config", {}).items():
            print(f"{key}  {value}  DYNAMIC_TOPIC_CONFIG")
        print("segment.bytes       1073741824  DEFAULT_CONFIG")
elif args[:3] == ["cluster", "config", "get"]:
    value = state.get(args[3])
    print("".join(f"- {item}\n" for item in value) if isinstance(value, list) else value, end="")
elif args[:3] == ["cluster", "config", "set"]:
    key, value = args[3], args[4]
    if key == "superusers":
        state[key] = [item.strip() for item in value.strip("[]").split(",") if item.strip()]
    else:
        state[key] = value == "true" if value in ("true", "false") else value
    save()
    print("Successfully updated configuration. New configuration version is 2.")
elif args[:3] == ["security", "acl", "create"]:
    # a set: creating an ACL that exists changes nothing (Redpanda's authorizer)
    acl = args[3:]
    acls = state.setdefault("acls", [])
    if acl not in acls:
        acls.append(acl)
    save()
    print("PRINCIPAL  HOST  RESOURCE-TYPE  RESOURCE-NAME  OPERATION  PERMISSION  ERROR")
