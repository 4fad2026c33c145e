package soundtime_test

// The functions' cold start: from exec of the bootstrap binary, built as functions/lambda.mk
// builds it (for this machine's architecture), until it has asked a Lambda Runtime API for its
// first event (the end of init, Lambda's "Init Duration") and until it has answered that event.

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// coldFunctions are the functions measured and the first event each is given: one it answers
// without any AWS call ("" for those whose every event calls AWS, measured to the end of init).
// deliver is left out: it reads the actor's key from SSM before it asks for an event. before
// names the function that served the event in a base tree without this one (the pages were the
// track function's before issue 17).
var coldFunctions = []struct{ name, event, before string }{
	{"upload", apiGatewayEvent("POST", "/api/tracks"), ""}, // no JSON Content-Type: 415
	{"track", apiGatewayEvent("GET", "/api/tracks/not-an-id"), ""},
	{"pages", apiGatewayEvent("GET", "/no/such/page"), "track"}, // the HTML not-found page
	{"download", apiGatewayEvent("GET", "/api/tracks/not-an-id/download"), ""},
	{"federation", apiGatewayEvent("GET", "/api/none"), ""}, // FEDERATION=false: no key to read
	{"process", `{"Records":[]}`, ""},
	{"expire", `{"Records":[]}`, ""},
	{"unlist", `{"Records":[]}`, ""},
	{"sweep", "", ""},
	{"reconcile", "", ""},
}

func apiGatewayEvent(method, path string) string {
	return fmt.Sprintf(`{"version":"2.0","routeKey":"$default","rawPath":%q,"headers":{"host":"api.example"},`+
		`"requestContext":{"requestId":"cold","http":{"method":%q,"path":%q,"sourceIP":"203.0.113.7"}}}`, path, method, path)
}

// BenchmarkColdStart starts each function's binary -benchtime times and reports the medians:
// init-ms (exec until its first request for an event), event-ms (until it answered the first
// event) and cpu-ms (the CPU time it used for that: on a loaded machine the wall times mostly
// measure waiting for a core). With SOUNDTIME_COLDSTART_BASE set to another checkout of the repository (e.g. `mkdir
// /tmp/base && git archive <commit> | tar -x -C /tmp/base`), that tree's functions are built too and started alternately
// with these, and base-init-ms, base-event-ms and the ratios of the medians are reported.
//
//	go test -run '^$' -bench ColdStart -benchtime 20x .
func BenchmarkColdStart(b *testing.B) {
	trees := map[string]string{"": "."}
	if base := os.Getenv("SOUNDTIME_COLDSTART_BASE"); base != "" {
		trees["base-"] = base
	}
	bin := b.TempDir()
	home := b.TempDir() // no shared AWS configuration, as in Lambda
	for label, tree := range trees {
		for _, f := range coldFunctions {
			out := filepath.Join(bin, label+f.name)
			// functions/lambda.mk's build line, for this machine.
			cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
			dir := f.name
			if label != "" && f.before != "" {
				if _, err := os.Stat(filepath.Join(tree, "functions", f.name)); err != nil {
					dir = f.before
				}
			}
			cmd.Dir = filepath.Join(tree, "functions", dir)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if msg, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("build %s%s: %v\n%s", label, f.name, err, msg)
			}
		}
	}
	for _, f := range coldFunctions {
		b.Run(f.name, func(b *testing.B) {
			runs := map[string][3][]time.Duration{}
			for b.Loop() {
				for label := range trees {
					initT, eventT, cpu := coldStart(b, filepath.Join(bin, label+f.name), f.name, f.event, home)
					r := runs[label]
					r[0], r[1], r[2] = append(r[0], initT), append(r[1], eventT), append(r[2], cpu)
					runs[label] = r
				}
			}
			for label, r := range runs {
				b.ReportMetric(median(r[0]), label+"init-ms")
				if f.event != "" {
					b.ReportMetric(median(r[1]), label+"event-ms")
				}
				b.ReportMetric(median(r[2]), label+"cpu-ms")
			}
			if base, ok := runs["base-"]; ok {
				b.ReportMetric(median(runs[""][0])/median(base[0]), "init-ratio")
				if f.event != "" {
					b.ReportMetric(median(runs[""][1])/median(base[1]), "event-ratio")
				}
				b.ReportMetric(median(runs[""][2])/median(base[2]), "cpu-ratio")
			}
		})
	}
}

func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2]) / float64(time.Millisecond)
}

// coldStart execs bin against a Runtime API of its own and returns how long it took to ask for
// its first event and to answer it (0 when event is "": the process is stopped at its first
// request).
//
// cpu is the CPU time the process used, user and system, until it was stopped: after its answer
// (or its first request) it only waits for the next event, so this is what its start and first
// event cost, whatever else the machine was doing meanwhile.
func coldStart(b *testing.B, bin, name, event, home string) (initT, eventT, cpu time.Duration) {
	type result struct {
		at   time.Time
		path string
		body string
	}
	asked := make(chan time.Time, 1)
	answered := make(chan result, 1)
	stop := make(chan struct{})
	rt := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/2018-06-01/runtime/invocation/next":
			select {
			case asked <- time.Now():
			default: // a second request: wait to be stopped
				<-stop
				return
			}
			if event == "" {
				<-stop
				return
			}
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", "cold-1")
			h.Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(time.Minute).UnixMilli()))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:"+name)
			h.Set("Lambda-Runtime-Trace-Id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1")
			io.WriteString(w, event)
		case r.Method == http.MethodPost:
			body, _ := io.ReadAll(r.Body)
			w.WriteHeader(http.StatusAccepted)
			select {
			case answered <- result{time.Now(), r.URL.Path, string(body)}:
			default:
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer rt.Close()
	defer close(stop)

	memory := "256"
	if name == "process" {
		memory = "3008"
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"HOME=" + home, "PATH=/usr/bin:/bin",
		"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(rt.URL, "http://"),
		"AWS_LAMBDA_FUNCTION_NAME=soundtime-" + name, "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + memory, "_HANDLER=bootstrap",
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=ASIAEXAMPLEEXAMPLE12", "AWS_SECRET_ACCESS_KEY=secret", "AWS_SESSION_TOKEN=token",
		"PUBLIC_BASE_URL=https://soundtime.example", "TABLE_NAME=tracks", "MEDIA_BUCKET=media",
		"PROCESS_QUEUE_URL=https://sqs.us-east-1.amazonaws.com/123456789012/process",
		"FFMPEG_PATH=/opt/bin/ffmpeg", "FEDERATION=false",
	}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	stopNow := func() {
		if !stopped {
			stopped = true
			cmd.Process.Kill()
			<-exited
		}
	}
	defer stopNow()
	cpuTime := func() time.Duration {
		stopNow()
		ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		if !ok {
			b.Fatal("no resource usage of the child")
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	select {
	case at := <-asked:
		initT = at.Sub(start)
	case <-exited:
		exited <- nil // for the deferred wait
		b.Fatalf("%s exited before asking for an event", name)
	case <-time.After(time.Minute):
		b.Fatalf("%s did not ask for an event within a minute", name)
	}
	if event == "" {
		return initT, 0, cpuTime()
	}
	select {
	case r := <-answered:
		if !strings.HasSuffix(r.path, "/cold-1/response") {
			b.Fatalf("%s answered %s: %s", name, r.path, r.body)
		}
		eventT = r.at.Sub(start)
	case <-time.After(time.Minute):
		b.Fatalf("%s did not answer its event within a minute", name)
	}
	return initT, eventT, cpuTime()
}
