package soundtime_test

// Bounded processing: S3 notifies the process queue of uploads, the sweep function sends it
// redrives, and one event source mapping feeds the process function from it, at most
// ProcessConcurrency invocations at once, without losing the at-least-once guarantees (a
// dead-letter queue, a visibility timeout that outlasts a run).

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/internal/cfn"
	"github.com/soundtime/soundtime/pkg/config"
	"github.com/soundtime/soundtime/pkg/process"
)

const (
	processQueueID  = "ProcessQueue"
	queuePolicyID   = "ProcessQueuePolicy"
	processSourceID = "ProcessQueueEventSource"
)

// Uploads reach processing through the queue only: the bucket notifies the queue of objects
// created under uploads/ (never derived/, so processing cannot trigger itself), after the
// queue's policy exists; no function is triggered by S3 directly.
func TestTemplateUploadsNotifyTheProcessQueue(t *testing.T) {
	tp := loadTemplate(t)
	for _, id := range tp.OfType("AWS::Serverless::Function") {
		if evs := tp.Events(id, "S3"); len(evs) != 0 {
			t.Errorf("%s has an S3 event: S3 would invoke it directly, unbounded", id)
		}
	}
	n := cfn.Get(tp.Properties(bucketID), "NotificationConfiguration")
	for _, k := range []string{"LambdaConfigurations", "TopicConfigurations", "EventBridgeConfiguration"} {
		if cfn.Get(n, k) != nil {
			t.Errorf("NotificationConfiguration.%s is set: uploads go to the process queue only", k)
		}
	}
	qs := cfn.List(cfn.Get(n, "QueueConfigurations"))
	if len(qs) != 1 {
		t.Fatalf("QueueConfigurations = %s, want exactly one", cfn.Describe(qs))
	}
	q := qs[0]
	if got := cfn.Scalar(cfn.Get(q, "Event")); got != "s3:ObjectCreated:*" {
		t.Errorf("Event = %q, want s3:ObjectCreated:* (a PUT, a copy and a completed multipart upload)", got)
	}
	if r, a, ok := cfn.AsGetAtt(cfn.Get(q, "Queue")); !ok || r != processQueueID || a != "Arn" {
		t.Errorf("Queue = %s, want !GetAtt %s.Arn", cfn.Describe(cfn.Get(q, "Queue")), processQueueID)
	}
	rules := cfn.List(cfn.Get(q, "Filter", "S3Key", "Rules"))
	if len(rules) != 1 || !strings.EqualFold(cfn.Scalar(cfn.Get(rules[0], "Name")), "prefix") || cfn.Scalar(cfn.Get(rules[0], "Value")) != "uploads/" {
		t.Errorf("Filter.S3Key.Rules = %s, want exactly [{Name: prefix, Value: uploads/}]", cfn.Describe(rules))
	}
	// S3 checks that it may send to the queue when the configuration is put.
	if deps := cfn.List(tp.Resource(bucketID)["DependsOn"]); !slices.Contains(deps, any(queuePolicyID)) && cfn.Scalar(tp.Resource(bucketID)["DependsOn"]) != queuePolicyID {
		t.Errorf("%s DependsOn = %s, want %s", bucketID, cfn.Describe(tp.Resource(bucketID)["DependsOn"]), queuePolicyID)
	}
}

// Only S3, for this bucket of this account, may send to the process queue through its policy (the
// sweep function's role grants itself); the policy names the bucket by its derived name, since a
// !Ref from it to the bucket that depends on it would be a cycle.
func TestTemplateProcessQueuePolicy(t *testing.T) {
	tp := loadTemplate(t)
	var policies []string
	for _, id := range tp.OfType("AWS::SQS::QueuePolicy") {
		for _, q := range cfn.List(cfn.Get(tp.Properties(id), "Queues")) {
			if cfn.IsRef(q, processQueueID) {
				policies = append(policies, id)
			}
		}
	}
	if !slices.Equal(policies, []string{queuePolicyID}) {
		t.Fatalf("policies of %s = %v, want [%s]", processQueueID, policies, queuePolicyID)
	}
	p := tp.Properties(queuePolicyID)
	if qs := cfn.List(p["Queues"]); len(qs) != 1 {
		t.Errorf("Queues = %s, want the process queue only", cfn.Describe(qs))
	}
	stmts := cfn.List(cfn.Get(p, "PolicyDocument", "Statement"))
	if len(stmts) != 1 {
		t.Fatalf("Statement = %s, want exactly one", cfn.Describe(stmts))
	}
	st := stmts[0]
	checks := []struct {
		name string
		got  any
		want string
	}{
		{"Effect", cfn.Get(st, "Effect"), "Allow"},
		{"Principal.Service", cfn.Get(st, "Principal", "Service"), "s3.amazonaws.com"},
		{"Action", cfn.Get(st, "Action"), "sqs:SendMessage"},
	}
	for _, c := range checks {
		if v := cfn.List(c.got); len(v) != 1 || cfn.Scalar(v[0]) != c.want {
			t.Errorf("%s = %s, want %s", c.name, cfn.Describe(c.got), c.want)
		}
	}
	if r, a, ok := cfn.AsGetAtt(cfn.Get(st, "Resource")); !ok || r != processQueueID || a != "Arn" {
		t.Errorf("Resource = %s, want !GetAtt %s.Arn", cfn.Describe(cfn.Get(st, "Resource")), processQueueID)
	}
	cond, _ := cfn.Get(st, "Condition").(map[string]any)
	source := cfn.Get(cond, "ArnEquals", "aws:SourceArn")
	if source == nil {
		source = cfn.Get(cond, "ArnLike", "aws:SourceArn")
	}
	if s, _ := cfn.AsSub(source); s != bucketArnSub {
		t.Errorf("Condition aws:SourceArn = %s, want !Sub %q", cfn.Describe(source), bucketArnSub)
	}
	if v := cfn.Get(cond, "StringEquals", "aws:SourceAccount"); !cfn.IsRef(v, "AWS::AccountId") {
		t.Errorf("Condition StringEquals aws:SourceAccount = %s, want !Ref AWS::AccountId", cfn.Describe(v))
	}
	if len(cond) != 2 {
		t.Errorf("Condition = %s, want the source ARN and account only", cfn.Describe(cond))
	}
	for _, id := range []string{queuePolicyID, processQueueID, queueID} {
		for _, ref := range cfn.References(tp.Resource(id)) {
			if ref == bucketID {
				t.Errorf("%s refers to %s, which depends on it: circular dependency", id, bucketID)
			}
		}
	}
}

// The process function's event source: one message an invocation, at most ProcessConcurrency at
// once, partial batch responses; the queue's visibility timeout and redrive policy as Lambda
// advises, and its dead-letter queue the one place an upload that could not be processed lands.
func TestTemplateProcessQueue(t *testing.T) {
	tp := loadTemplate(t)
	fn := tp.Function("ProcessFunction")
	timeout, err := strconv.Atoi(cfn.Scalar(fn["Timeout"]))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("EventSource", func(t *testing.T) {
		var sources []string
		for _, id := range tp.OfType("AWS::Lambda::EventSourceMapping") {
			if r, _, ok := cfn.AsGetAtt(cfn.Get(tp.Properties(id), "EventSourceArn")); ok && r == processQueueID {
				sources = append(sources, id)
			}
		}
		for _, id := range tp.OfType("AWS::Serverless::Function") {
			for name, e := range tp.Events(id, "SQS") {
				if r, _, ok := cfn.AsGetAtt(cfn.Get(e, "Properties", "Queue")); ok && r == processQueueID {
					sources = append(sources, id+"."+name)
				}
			}
		}
		if !slices.Equal(sources, []string{processSourceID}) {
			t.Fatalf("consumers of %s = %v, want [%s]", processQueueID, sources, processSourceID)
		}
		p := tp.Properties(processSourceID)
		if !cfn.IsRef(p["FunctionName"], "ProcessFunction.Alias") {
			t.Errorf("FunctionName = %s, want !Ref ProcessFunction.Alias (the canary covers queue-driven runs)", cfn.Describe(p["FunctionName"]))
		}
		if got := cfn.Scalar(p["BatchSize"]); got != "1" {
			t.Errorf("BatchSize = %s, want 1: a run is minutes of ffmpeg, one upload an invocation", got)
		}
		if got := cfn.List(p["FunctionResponseTypes"]); !reflect.DeepEqual(got, []any{"ReportBatchItemFailures"}) {
			t.Errorf("FunctionResponseTypes = %s, want [ReportBatchItemFailures] (HandleQueue answers failures with a nil error)", cfn.Describe(got))
		}
		if v := cfn.Get(p, "ScalingConfig", "MaximumConcurrency"); !cfn.IsRef(v, "ProcessConcurrency") {
			t.Errorf("ScalingConfig.MaximumConcurrency = %s, want !Ref ProcessConcurrency", cfn.Describe(v))
		}
		if v := p["Enabled"]; v != nil && cfn.Scalar(v) != "true" {
			t.Errorf("Enabled = %s", cfn.Describe(v))
		}
		// A SAM SQS event would attach AWSLambdaSQSQueueExecutionRole (receive and delete on
		// every queue); S3 invoking the function, or its async retries, would bypass the bound.
		for _, k := range []string{"Events", "EventInvokeConfig"} {
			if fn[k] != nil {
				t.Errorf("ProcessFunction.%s = %s, want none", k, cfn.Describe(fn[k]))
			}
		}
		for _, id := range tp.OfType("AWS::Lambda::Permission") {
			for _, ref := range cfn.References(tp.Resource(id)) {
				if strings.HasPrefix(ref, "ProcessFunction") {
					t.Errorf("%s lets something invoke the process function outside the queue", id)
				}
			}
		}
	})

	t.Run("ProcessConcurrency", func(t *testing.T) {
		p := tp.Parameter("ProcessConcurrency")
		num := func(k string) int {
			n, err := strconv.Atoi(cfn.Scalar(p[k]))
			if err != nil {
				t.Fatalf("ProcessConcurrency %s = %s: %v", k, cfn.Describe(p[k]), err)
			}
			return n
		}
		if got := cfn.Scalar(p["Type"]); got != "Number" {
			t.Errorf("Type = %q, want Number", got)
		}
		lo, hi, def := num("MinValue"), num("MaxValue"), num("Default")
		// An SQS event source's MaximumConcurrency is 2 to 1000: anything else fails the deploy.
		if lo < 2 || hi > 1000 || def < lo || def > hi {
			t.Errorf("MinValue %d, MaxValue %d, Default %d: want 2 <= MinValue <= Default <= MaxValue <= 1000", lo, hi, def)
		}
		if def != config.DefaultProcessConcurrency {
			t.Errorf("Default %d, want PROCESS_CONCURRENCY's default %d (make dev bounds as AWS does)", def, config.DefaultProcessConcurrency)
		}
		if cfn.Scalar(p["Description"]) == "" {
			t.Error("no Description")
		}
	})

	t.Run("Queue", func(t *testing.T) {
		if got := tp.Type(processQueueID); got != "AWS::SQS::Queue" {
			t.Fatalf("%s type = %q", processQueueID, got)
		}
		q := tp.Properties(processQueueID)
		if _, fifo := q["FifoQueue"]; fifo {
			t.Error("FifoQueue: S3 notifies standard queues only")
		}
		// SSE-SQS, not a KMS key: S3 can send to a queue encrypted with the AWS managed KMS key
		// only with grants it cannot have.
		if cfn.Scalar(q["SqsManagedSseEnabled"]) != "true" || q["KmsMasterKeyId"] != nil {
			t.Errorf("encryption = SqsManagedSseEnabled %s, KmsMasterKeyId %s; want SSE-SQS", cfn.Describe(q["SqsManagedSseEnabled"]), cfn.Describe(q["KmsMasterKeyId"]))
		}
		vis, _ := strconv.Atoi(cfn.Scalar(q["VisibilityTimeout"]))
		visibility := time.Duration(vis) * time.Second
		if want := process.QueueVisibility(time.Duration(timeout) * time.Second); visibility < want || vis < 6*timeout {
			t.Errorf("VisibilityTimeout = %d s, want at least six times the function's %d s (%v), as Lambda advises", vis, timeout, want)
		}
		if r, a, ok := cfn.AsGetAtt(cfn.Get(q, "RedrivePolicy", "deadLetterTargetArn")); !ok || r != queueID || a != "Arn" {
			t.Errorf("deadLetterTargetArn = %s, want !GetAtt %s.Arn", cfn.Describe(cfn.Get(q, "RedrivePolicy", "deadLetterTargetArn")), queueID)
		}
		receives, _ := strconv.Atoi(cfn.Scalar(cfn.Get(q, "RedrivePolicy", "maxReceiveCount")))
		if receives != process.QueueMaxReceives {
			t.Errorf("maxReceiveCount = %d, want process.QueueMaxReceives (%d)", receives, process.QueueMaxReceives)
		}
		// Every receive may wait out a visibility timeout; the message must outlive them all,
		// and the dead-letter queue (which keeps the first enqueue time) must outlive the queue.
		retention, _ := strconv.Atoi(cfn.Scalar(q["MessageRetentionPeriod"]))
		if time.Duration(retention)*time.Second <= time.Duration(receives)*visibility {
			t.Errorf("MessageRetentionPeriod %d s does not outlast %d receives of %v", retention, receives, visibility)
		}
		dlq, _ := strconv.Atoi(cfn.Scalar(tp.Properties(queueID)["MessageRetentionPeriod"]))
		if dlq <= retention {
			t.Errorf("the dead-letter queue keeps messages %d s, no longer than the queue's %d s", dlq, retention)
		}
		checkFailureQueue(t, tp, cfn.Get(q, "RedrivePolicy", "deadLetterTargetArn"), queueID)
	})

	t.Run("Environment", func(t *testing.T) {
		if v := cfn.Get(tp.Globals("Function"), "Environment", "Variables", "PROCESS_QUEUE_URL"); !cfn.IsRef(v, processQueueID) {
			t.Errorf("Globals PROCESS_QUEUE_URL = %s, want !Ref %s", cfn.Describe(v), processQueueID)
		}
		for _, id := range tp.OfType("AWS::Serverless::Function") {
			if v := cfn.Get(tp.Function(id), "Environment", "Variables", "PROCESS_FUNCTION"); v != nil {
				t.Errorf("%s: PROCESS_FUNCTION = %s: nothing invokes the process function any more", id, cfn.Describe(v))
			}
		}
	})
}
