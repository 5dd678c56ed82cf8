// Command standin stands in for the processes of the dev stack's images on a Docker engine that can
// pull none (make e2e). It is installed under every program name a workload runs, and decides by its
// arguments what to be:
//
//   - a service, when its arguments are those of a service workload of its image (/standin/services):
//     it answers on the image's ports (/standin/ports) until SIGTERM, HTTP with 200 and a body that
//     the probes look for, a memcached "version" with VERSION, and keeps /tmp/health.txt fresh;
//   - curl: a real HTTP GET of the URL it is given, as the probes use it;
//   - redis-cli and valkey-cli: PONG;
//   - the few answers that the workloads' scripts read (answers);
//   - any other program: exits 0 after reading a piped input, unless an argument says
//     standin-exit-N, then it exits N: how the tests make a one-shot job fail.
//
// It stands in for a process, never for an image's contract: the image facts stay with the real images.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// what the probes look for: a broker's readiness, its cluster's health (broker.sh, files.healthy_check)
const body = "{\"status\":\"ready\",\"is_healthy\":true} ok standin\n"

var exitAsked = regexp.MustCompile(`standin-exit-(\d+)`)

// answers: what the scripts parse, by program and first two arguments; a cluster with no topic yet
var answers = map[string]string{
	"rpk cluster health": "CLUSTER HEALTH OVERVIEW\n=======================\nHealthy:  true\n",
	"rpk topic list":     "NAME  PARTITIONS  REPLICAS\n",
}

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	for _, arg := range args {
		if found := exitAsked.FindStringSubmatch(arg); found != nil {
			code, _ := strconv.Atoi(found[1])
			fmt.Fprintf(os.Stderr, "standin %s: asked to exit %d by the argument %q\n", name, code, arg)
			os.Exit(code)
		}
	}
	if isService(args) {
		serve(name, args)
		return
	}
	if answer, ok := answers[strings.Join(append([]string{name}, args[:min(2, len(args))]...), " ")]; ok {
		fmt.Print(answer)
		return
	}
	switch name {
	case "curl":
		os.Exit(curl(args))
	case "redis-cli", "valkey-cli":
		fmt.Println("PONG")
	default:
		drainPipe()
	}
}

// drainPipe reads a pipe to its end, as a program fed a password does (printf ... | sentry createuser),
// so that the writer never meets a closed pipe. A file on stdin is left alone: in a `while read ... done
// <file` loop it is the loop's own input.
func drainPipe() {
	info, err := os.Stdin.Stat()
	if err == nil && info.Mode()&os.ModeNamedPipe != 0 {
		_, _ = io.Copy(io.Discard, os.Stdin)
	}
}

func isService(args []string) bool {
	raw, err := os.ReadFile("/standin/services")
	if err != nil {
		return false
	}
	var services [][]string
	if err := json.Unmarshal(raw, &services); err != nil {
		fmt.Fprintf(os.Stderr, "standin: /standin/services: %v\n", err)
		os.Exit(70)
	}
	return slices.ContainsFunc(services, func(service []string) bool { return slices.Equal(service, args) })
}

func serve(name string, args []string) {
	raw, _ := os.ReadFile("/standin/ports")
	ports := strings.Fields(string(raw))
	for _, port := range ports {
		listener, err := net.Listen("tcp", ":"+port)
		if err != nil {
			fmt.Fprintf(os.Stderr, "standin %s: port %s: %v\n", name, port, err)
			os.Exit(71)
		}
		go accept(listener)
	}
	fmt.Printf("standin %s %s: serving on %s\n", name, strings.Join(args, " "), strings.Join(ports, ", "))
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	tick := time.NewTicker(20 * time.Second)
	for {
		_ = os.WriteFile("/tmp/health.txt", []byte("ok\n"), 0o644) // the consumers' health file
		select {
		case <-stop:
			fmt.Printf("standin %s: stopping\n", name)
			return
		case <-tick.C:
		}
	}
}

func accept(listener net.Listener) {
	for {
		conn, err := listener.Accept()
		if err != nil {
			return
		}
		go answer(conn)
	}
}

func answer(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return
	}
	switch {
	case strings.HasPrefix(line, "version"):
		_, _ = io.WriteString(conn, "VERSION standin\r\n")
	case strings.Contains(line, "HTTP/"):
		_, _ = fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
			len(body), body)
	}
}

// curl does what the probes and the jobs' scripts ask of it: a request (-X, a body from --data-binary @-) to
// the URL, the body printed or written to -o, the status printed for -w '%{http_code}', and curl's exit codes:
// 6 when the host does not resolve (a broker that does not run yet), 7 when it does not answer, 22 for a
// status of 400 or more with -f.
func curl(args []string) int {
	url, output, method, format, fail := "", "", "GET", "", false
	var payload io.Reader
	takesValue := map[string]bool{"--max-time": true, "-m": true, "--config": true, "-K": true, "--cacert": true,
		"--resolve": true, "-H": true, "--header": true, "-u": true, "--user": true}
	for i := 0; i < len(args); i++ {
		switch arg := args[i]; {
		case strings.HasPrefix(arg, "http://") || strings.HasPrefix(arg, "https://"):
			url = arg
		case arg == "-o" || arg == "--output":
			i++
			if i < len(args) {
				output = args[i]
			}
		case arg == "-w" || arg == "--write-out":
			i++
			if i < len(args) {
				format = args[i]
			}
		case arg == "-X" || arg == "--request":
			i++
			if i < len(args) {
				method = args[i]
			}
		case arg == "--data-binary" || arg == "--data" || arg == "-d":
			i++
			if i < len(args) && args[i] == "@-" {
				payload = os.Stdin
			}
		case takesValue[arg]:
			i++
		case arg == "--fail" || (strings.HasPrefix(arg, "-") && !strings.HasPrefix(arg, "--") && strings.Contains(arg, "f")):
			fail = true
		}
	}
	if url == "" {
		fmt.Fprintln(os.Stderr, "standin curl: no URL")
		return 2
	}
	request, err := http.NewRequest(method, url, payload)
	if err != nil {
		fmt.Fprintf(os.Stderr, "standin curl: %v\n", err)
		return 3
	}
	client := http.Client{Timeout: 5 * time.Second}
	response, err := client.Do(request)
	if err != nil {
		fmt.Fprintf(os.Stderr, "standin curl: %v\n", err)
		var dns *net.DNSError
		if errors.As(err, &dns) {
			return 6
		}
		return 7
	}
	defer response.Body.Close()
	if fail && response.StatusCode >= 400 {
		return 22
	}
	out := io.Writer(os.Stdout)
	if output != "" && output != "-" {
		file, err := os.Create(output)
		if err != nil {
			fmt.Fprintf(os.Stderr, "standin curl: %v\n", err)
			return 23
		}
		defer file.Close()
		out = file
	}
	_, _ = io.Copy(out, response.Body)
	if format != "" {
		fmt.Print(strings.ReplaceAll(format, "%{http_code}", strconv.Itoa(response.StatusCode)))
	}
	return 0
}
