"""Config of the services around Sentry: relay (ingest), symbolicator and the nginx in front.

Relay's config holds the Redis password (its processing mode has no other way to get it), so it is
mounted as a secret; symbolicator's and nginx's hold none.
"""

import yaml

from components.sentry.topology import NGINX_PORT, RELAY_PORT, SYMBOLICATOR_PORT

RELAY_DIR = "/etc/relay"  # relay --config: config.yml and credentials.json
SYMBOLICATOR_CONFIG = "/etc/symbolicator/config.yml"
TASKBROKER_CONFIG = "/etc/taskbroker/config.yml"
SYMBOLICATOR_CACHE = "/data"
NGINX_CONFIG = "/etc/nginx/dictamesh/nginx.conf"
# relay's readiness through nginx: on Docker, where relay's distroless image can run no check, nginx's health
# check is what waits for relay; clusters probe relay directly and nginx on NGINX_ALIVE
NGINX_HEALTH = "/relay-health"
NGINX_ALIVE = "/nginx-health"
# proxies whose X-Forwarded-For nginx believes: the private ranges, where Docker's networks, pod networks
# and ingress controllers live (upstream trusts Docker's default address pools)
TRUSTED_PROXIES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")


def relay_config(upstream: str, kafka: str, redis_url: str) -> str:
    """A processing relay: it accepts SDK envelopes, writes them to Sentry's Kafka and asks `upstream` for
    project configs."""
    config = {
        "relay": {"mode": "managed", "upstream": upstream, "host": "0.0.0.0", "port": RELAY_PORT},  # noqa: S104 - in its container
        "logging": {"level": "WARN"},
        "processing": {
            "enabled": True,
            "kafka_config": [
                {"name": "bootstrap.servers", "value": kafka},
                # relay reads every value as a string (relay-kafka's KafkaConfigParam)
                {"name": "message.max.bytes", "value": "50000000"},
            ],
            "redis": redis_url,
            # no topic overrides: relay's defaults are the topics the consumers read (topology.RELAY_TOPICS)
        },
    }
    return yaml.safe_dump(config, sort_keys=False)


def _raw(namespace: str, taskname: str, deadline: int = 60) -> dict[str, object]:
    return {"namespace": namespace, "application": "sentry", "taskname": taskname,
            "processing_deadline_duration": deadline}  # fmt: skip


def taskbroker_config() -> str:
    """The topics taskbroker reads and writes, as self-hosted 26.8.0's taskbroker/config.yml lists them.

    Without a topic list taskbroker exits ("kafka_clusters is set but kafka_topics is empty").
    """
    subscriptions = "sentry.snuba.query_subscriptions.run.process_{}_subscription_from_kafka"
    results = {
        f"{name}-subscription-results": {
            "cluster": "default",
            "consumer_group": "query-subscription-consumer",
            "raw": _raw(f"snuba.subscriptions.{dataset}.raw", subscriptions.format(dataset)),
        }
        for name, dataset in (
            ("events", "events"),
            ("transactions", "transactions"),
            ("metrics", "metrics"),
            ("generic-metrics", "generic_metrics"),
        )
    }
    topics: dict[str, object] = {
        "taskworker": {"cluster": "default", "consumer_group": "taskworker"},
        "taskworker-dlq": {"cluster": "default", "consumer_group": "taskworker", "produce_only": True},
        **results,
        "subscription-results-eap-items": {
            "cluster": "default",
            "consumer_group": "subscription-results-eap-items",
            "raw": _raw("snuba.subscriptions.eap.raw", subscriptions.format("eap")),
        },
        "profiles": {
            "cluster": "default",
            "consumer_group": "ingest-profiles-consumers-0",
            "raw": _raw("ingest.profiling.passthrough", "sentry.profiles.task.process_profile_from_kafka"),
        },
        "ingest-replay-recordings": {
            "cluster": "default",
            "consumer_group": "ingest-replay-recordings",
            "raw": _raw("replays.raw", "sentry.replays.tasks.process_replay_recording", deadline=90),
        },
    }
    config = {
        "kafka_session_timeout_ms": 60000,  # one taskbroker: a fast failover gains nothing
        "kafka_deadletter_topic": "taskworker-dlq",
        "kafka_retry_topic": "taskworker",
        "kafka_topics": topics,
    }
    return yaml.safe_dump(config, sort_keys=False)


def symbolicator_config() -> str:
    config = {
        "bind": f"0.0.0.0:{SYMBOLICATOR_PORT}",
        "logging": {"level": "warn"},
        "metrics": {"statsd": None},
        "cache_dir": SYMBOLICATOR_CACHE,
        # it never removes what it cached unless told to: upstream runs `cleanup --repeat 1h` in a second
        # container on the same volume; this thread (symbolicator 25.8+) does the same in the server itself
        "enable_cache_cleanup": True,
        "cache_cleanup_interval": "1h",
        "sentry_dsn": None,
    }
    return yaml.safe_dump(config, sort_keys=False)


def nginx_conf(web: str, relay: str) -> str:
    """Routes as self-hosted's nginx.conf does: SDK ingest (/api/<project id>/...) to relay, the rest to
    the web. `web` and `relay` are host:port. Runs unprivileged with everything writable under /tmp.

    No proxy_next_upstream for non-idempotent requests: upstream removed it, since it replays POSTs. Buffers
    as upstream's (self-hosted #1984: Sentry's large headers, "upstream sent too big header"), and buffering
    on (#2844 removed `proxy_buffering off`)."""
    trusted = "\n".join(f"    set_real_ip_from {cidr};" for cidr in TRUSTED_PROXIES)
    return f"""# Generated by dictamesh-infra.
worker_processes auto;
pid /tmp/nginx.pid;
error_log /dev/stderr warn;
daemon off;

events {{
    worker_connections 1024;
}}

http {{
    access_log off;
    client_body_temp_path /tmp/client_body;
    proxy_temp_path /tmp/proxy;
    fastcgi_temp_path /tmp/fastcgi;
    uwsgi_temp_path /tmp/uwsgi;
    scgi_temp_path /tmp/scgi;
    server_tokens off;
    client_max_body_size 100m;
    proxy_http_version 1.1;
    proxy_redirect off;
    proxy_buffer_size 128k;
    proxy_buffers 4 256k;
    proxy_busy_buffers_size 256k;
{trusted}
    real_ip_header X-Forwarded-For;
    real_ip_recursive on;
    proxy_set_header Connection '';
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Request-Id $request_id;
    proxy_read_timeout 90s;
    proxy_send_timeout 5s;

    upstream relay {{
        server {relay};
        keepalive 2;
    }}
    upstream sentry {{
        server {web};
        keepalive 2;
    }}

    server {{
        listen {NGINX_PORT};

        location = {NGINX_HEALTH} {{
            proxy_pass http://relay/api/relay/healthcheck/ready/;
        }}
        location = {NGINX_ALIVE} {{
            return 200 "ok\\n";
        }}
        location /api/store/ {{
            proxy_pass http://relay;
        }}
        location ~ ^/api/[1-9]\\d*/ {{
            proxy_pass http://relay;
        }}
        location ^~ /api/0/relays/ {{
            proxy_pass http://relay;
        }}
        location / {{
            proxy_pass http://sentry;
        }}
        location /_assets/ {{
            proxy_pass http://sentry/_static/dist/sentry/;
            proxy_hide_header Content-Disposition;
        }}
        location /_static/ {{
            proxy_pass http://sentry;
            proxy_hide_header Content-Disposition;
        }}
    }}
}}
"""
