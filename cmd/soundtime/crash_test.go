package main

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// program is the runner started as `make dev` starts it: this test binary running main(), in its
// own process, so that a test can kill it for real.
type program struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	dir  string
	env  []string
}

// startProgram runs the program on addr with its state in dir and waits until it serves.
func startProgram(t *testing.T, addr, dir string, env ...string) *program {
	t.Helper()
	p := &program{t: t, addr: addr, dir: dir, env: env}
	p.cmd = exec.Command(os.Args[0], "-test.run=^$")
	p.cmd.Env = append(os.Environ(), append([]string{"SOUNDTIME_TEST_RUN_MAIN=1", "SOUNDTIME_ADDR=" + addr, "SOUNDTIME_DATA_DIR=" + dir}, env...)...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p.cmd.Stdout = &out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Soundtime is running on") {
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		t.Fatalf("the program did not start; its log:\n%s", out.String())
	}
	return p
}

func (p *program) client() client { return client{t: p.t, base: "http://" + p.addr} }

// kill stops the program with sig and waits until it and every server it started are gone.
func (p *program) kill(sig syscall.Signal) {
	p.t.Helper()
	children := childrenOf(p.t, p.cmd.Process.Pid)
	p.cmd.Process.Signal(sig)
	p.cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range children {
		for alive(pid) {
			if time.Now().After(deadline) {
				p.t.Fatalf("process %d outlived the program", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// createTrack starts an upload of body and returns the track's ID and its upload URL.
func createTrack(c client, name string, body []byte, sum string) (id, uploadURL string) {
	c.t.Helper()
	r := c.postJSON("/api/tracks", map[string]any{"filename": name, "type": "audio/mpeg", "size": len(body), "md5": sum})
	if r.Status != http.StatusCreated {
		c.t.Fatalf("create = %d %s", r.Status, r.Body)
	}
	m := r.json(c.t)
	return m["id"].(string), m["upload"].(map[string]any)["url"].(string)
}

func putOriginal(c client, url string, body []byte, sum string) {
	c.t.Helper()
	if r := c.do("PUT", url, map[string]string{"Content-Type": "audio/mpeg", "Content-MD5": sum}, body); r.Status != 200 {
		c.t.Fatalf("PUT = %d %s", r.Status, r.Body)
	}
}

// readyAndWhole waits until the track is ready and checks that its download is the original.
func readyAndWhole(c client, id string, body []byte) {
	c.t.Helper()
	c.waitStatusWithin(id, "ready", 90*time.Second)
	dl := c.do("GET", "/api/tracks/"+id+"/download", nil, nil)
	if dl.Status != 200 {
		c.t.Fatalf("download = %d %s", dl.Status, dl.Body)
	}
	got := c.do("GET", dl.json(c.t)["url"].(string), nil, nil)
	if got.Status != 200 || !bytes.Equal(got.Body, body) {
		c.t.Fatalf("download = %d, %d bytes; want the %d original bytes", got.Status, len(got.Body), len(body))
	}
}

// TestKilledAfterTheUploadWasAccepted: storage accepted the PUT (200) but the runner died before
// the upload's event was handled. After a restart on the same data, the upload is processed
// (it used to stay pending and then be purged as an expired pending upload).
func TestKilledAfterTheUploadWasAccepted(t *testing.T) {
	t.Parallel()
	addr, dir := freeAddr(t), t.TempDir()
	p := startProgram(t, addr, dir, "PENDING_TTL=20s", "UPLOAD_URL_TTL=20s")
	c := p.client()
	body, sum := audioBytes(t, 3)
	id, url := createTrack(c, "accepted.mp3", body, sum)
	// Freeze the runner so that the S3 server's notification cannot be handled, store the
	// upload, then kill the runner.
	p.cmd.Process.Signal(syscall.SIGSTOP)
	putOriginal(c, url, body, sum)
	p.kill(syscall.SIGKILL)

	// Down for longer than the upload's pending time: nothing may expire it while nobody runs.
	time.Sleep(time.Second)
	p = startProgram(t, addr, dir, "PENDING_TTL=20s", "UPLOAD_URL_TTL=20s")
	readyAndWhole(p.client(), id, body)
}

// TestKilledWhileProcessing: the runner dies (kill -9, or Ctrl-C) while a track is processing.
// After a restart on the same data the track is processed again and becomes ready; it used to
// stay processing until it expired.
func TestKilledWhileProcessing(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			addr, dir := freeAddr(t), t.TempDir()
			p := startProgram(t, addr, dir, "MAX_DURATION=1h")
			c := p.client()
			// Long enough that processing takes a few seconds on this machine.
			body, sum := audioBytes(t, 240)
			id, url := createTrack(c, "long.mp3", body, sum)
			putOriginal(c, url, body, sum)
			c.waitStatus(id, "processing")
			p.kill(sig)
			dead := tempFiles(t, dir)

			p = startProgram(t, addr, dir, "MAX_DURATION=1h")
			for _, name := range tempFiles(t, dir) {
				if slices.Contains(dead, name) {
					t.Errorf("the dead run's %s is still in the data folder's tmp", name)
				}
			}
			readyAndWhole(p.client(), id, body)
		})
	}
}

// TestUploadURLSurvivesARestart: an upload URL handed out before a restart still works after
// it (the S3 server keeps its port and credentials in the data folder).
func TestUploadURLSurvivesARestart(t *testing.T) {
	t.Parallel()
	addr, dir := freeAddr(t), t.TempDir()
	p := startProgram(t, addr, dir)
	body, sum := audioBytes(t, 2)
	id, url := createTrack(p.client(), "later.mp3", body, sum)
	p.kill(syscall.SIGINT)
	p = startProgram(t, addr, dir)
	c := p.client()
	putOriginal(c, url, body, sum)
	readyAndWhole(c, id, body)
}

// tempFiles lists the runs' working folders in the data folder's tmp.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	entries, _ := os.ReadDir(dir + "/tmp")
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
