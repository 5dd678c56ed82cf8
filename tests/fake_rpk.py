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
