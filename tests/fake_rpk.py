#!/usr/bin/env python3
"""Stands in for `rpk` in tests: answers from a JSON state file and records every call it gets."""

import json
import os
import sys
from pathlib import Path

state = json.loads(Path(os.environ["FAKE_RPK_STATE"]).read_text())
args = sys.argv[1:]
with open(os.environ["FAKE_RPK_LOG"], "a") as log:
    log.write(json.dumps(args) + "\n")

topics = state.get("topics", {})
if args[:2] == ["cluster", "health"]:
    print("CLUSTER HEALTH OVERVIEW\n=======================")
    print(f"Healthy:                          {str(state.get('healthy', True)).lower()}")
    print("Unhealthy reasons:                []")
elif args[:2] == ["topic", "list"]:
    print("NAME  PARTITIONS  REPLICAS")
    for name, topic in topics.items():
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
elif args[:2] == ["security", "user"]:
    # the admin API: logins are checked only once admin_api_require_auth is on
    users = state.get("users", {})
    if state.get("admin_api_require_auth") and users.get(os.environ.get("RPK_USER", "")) != os.environ.get("RPK_PASS"):
        sys.exit("unable to create/update user: request failed: Unauthorized (401)")
    if args[2] == "create" and args[3] in users:
        sys.exit(f'unable to create user "{args[3]}": request failed: Conflict (409): user already exists')
    print(f"{'Created' if args[2] == 'create' else 'Updated'} user {args[3]!r}.")
elif args[:3] == ["cluster", "config", "set"]:
    if state.get("admin_api_require_auth") and not os.environ.get("RPK_USER"):
        sys.exit("unable to set configuration: request failed: Unauthorized (401)")
    print("Successfully updated configuration. New configuration version is 2.")
