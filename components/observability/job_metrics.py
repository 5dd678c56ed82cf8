"""kube-state-metrics, restricted to the namespace's Jobs and CronJobs: how Prometheus sees a run that failed.

A job's failure is otherwise seen only by whoever runs `kubectl get jobs`: the nightly backup, the hourly TLS
reloads (which fail when a server keeps an old certificate) and the jobs `pulumi up` runs. Metric names and
labels are kube-state-metrics v2.20.0's (docs/metrics/workload/job-metrics.md, cronjob-metrics.md).
"""

from components.fields import Resources
from components.model import Alert, Probe, ScrapeTarget, Telemetry

NAME = "kube-state-metrics"
PORT = 8080  # /metrics and /healthz; the image's entrypoint sets it, and 8081 for its own metrics
WATCHES = ("cronjobs", "jobs")
RESOURCES = Resources(cpu="50m", memory="64Mi", ephemeral_storage="64Mi")  # a namespace's jobs: a few MiB
# /healthz answers while the server runs; /livez would ask the API server, and restart it for the API's outage
PROBE = Probe(command=[], http_path="/healthz", http_port=PORT)


def args() -> list[str]:
    """The namespace it runs in (the runtime's POD_NAMESPACE), and the two kinds its Role lets it list."""
    return ["--namespaces=$(POD_NAMESPACE)", f"--resources={','.join(WATCHES)}"]


# A failed run counts until its CronJob succeeds again: the failed Job stays in the CronJob's history after a
# later success, and a standalone Job stays failed until it is run again.
FAILED = """\
kube_job_failed{condition="true"} == 1
unless on (namespace, job_name)
  (
    kube_job_status_start_time
    * on (namespace, job_name) group_left (cronjob)
      label_replace(kube_job_owner{owner_kind="CronJob"}, "cronjob", "$1", "owner_name", "(.+)")
    < on (namespace, cronjob) group_left ()
      kube_cronjob_status_last_successful_time
  )"""

TELEMETRY = Telemetry(
    group="jobs",
    targets=[ScrapeTarget("kube-state-metrics", NAME, PORT)],
    alerts=[
        Alert(
            name="JobFailed",
            expr=FAILED,
            for_="1m",
            severity="warning",
            summary="The job {{ $labels.job_name }} failed",
            description="Its last run failed, and its CronJob, if any, has not succeeded since: "
            "`kubectl -n {{ $labels.namespace }} logs job/{{ $labels.job_name }}` says why.",
        )
    ],
)
